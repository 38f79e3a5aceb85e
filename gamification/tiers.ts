import type { TierConfig } from './config/schema.js';

/** A tier as the handoff policy and the profile read it. */
export interface Tier {
  id: string;
  minLifetimePoints: number;
  /** Free-form benefits from the configuration, e.g. `{priority: 2}`. */
  benefits: Record<string, unknown>;
  /** The next tier up and the lifetime points still needed for it; absent at the top. */
  next?: { id: string; pointsNeeded: number };
}

/** The highest tier whose threshold `lifetimePoints` reaches (tiers are validated in increasing order). */
export function tierFor(tiers: readonly TierConfig[], lifetimePoints: number): Tier {
  let index = 0;
  tiers.forEach((tier, i) => {
    if (lifetimePoints >= tier.minLifetimePoints) index = i;
  });
  const tier = tiers[index] as TierConfig;
  const next = tiers[index + 1];
  return {
    id: tier.id,
    minLifetimePoints: tier.minLifetimePoints,
    benefits: { ...tier.benefits },
    ...(next === undefined
      ? {}
      : { next: { id: next.id, pointsNeeded: next.minLifetimePoints - lifetimePoints } }),
  };
}
