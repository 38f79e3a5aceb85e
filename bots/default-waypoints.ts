/**
 * The waypoint rules the agent runs when `WAYPOINT_RULES_FILE` names none (format: docs/identity.md):
 * a customer who removes something from the cart and does not check out within two minutes gets an
 * offer on their last active channel.
 */
export const DEFAULT_WAYPOINT_RULES = {
  rules: [
    {
      name: 'abandoned-cart',
      after: 'cart_remove',
      unless: 'checkout',
      withinMs: 120_000,
      message: {
        en: 'Still thinking it over? Here is 10% off your basket today with the code STAY10.',
        es: '¿Aún lo estás pensando? Hoy tienes un 10 % de descuento en tu cesta con el código STAY10.',
      },
    },
  ],
};
