import { ActivityHandler, ActivityTypes, MessageFactory, type TurnContext } from 'botbuilder';

/**
 * The ready Relevo agent, as an `ActivityHandler`. It greets new members and answers each message;
 * the dialogs of `dialogs/` take over its message handling as they land (issue 5).
 */
export class RelevoAgent extends ActivityHandler {
  constructor() {
    super();
    this.onMembersAdded(async (context, next) => {
      const botId = context.activity.recipient?.id;
      const humans = (context.activity.membersAdded ?? []).filter((member) => member.id !== botId);
      if (humans.length > 0) await context.sendActivity(welcome(context));
      await next();
    });
    this.onMessage(async (context, next) => {
      await context.sendActivity({ type: ActivityTypes.Typing });
      await context.sendActivity(welcome(context));
      await next();
    });
  }
}

function welcome(context: TurnContext) {
  const spanish = (context.activity.locale ?? '').toLowerCase().startsWith('es');
  const text = spanish
    ? '¡Hola! Soy el asistente virtual. Puedo ayudarte con pedidos, devoluciones y tus puntos.'
    : "Hi! I'm the virtual assistant. I can help with orders, returns and your loyalty points.";
  const actions = spanish
    ? ['¿Dónde está mi pedido?', 'Devolver un artículo', 'Mis puntos', 'Hablar con una persona']
    : ['Where is my order?', 'Return an item', 'My points', 'Talk to a person'];
  return MessageFactory.suggestedActions(actions, text);
}
