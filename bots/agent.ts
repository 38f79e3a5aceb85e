import { ActivityHandler, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import { TurnStateKey } from '../core/turn-state.js';
import { type Lang, type MainDialog, setReplyLanguage, toLang } from '../dialogs/index.js';
import type { NluResult } from '../nlu-models/index.js';

/**
 * The ready Relevo agent, as an `ActivityHandler`: it greets new conversations and hands every message
 * to the main dialog, answering in the customer's language (detected per message, remembered per member).
 */
export class RelevoAgent extends ActivityHandler {
  constructor(
    private readonly main: MainDialog,
    private readonly language: StatePropertyAccessor<string | undefined>,
  ) {
    super();
    this.onMembersAdded(async (context, next) => {
      const botId = context.activity.recipient?.id;
      const humans = (context.activity.membersAdded ?? []).filter((member) => member.id !== botId);
      if (humans.length > 0) {
        setReplyLanguage(context, await this.languageOf(context));
        await this.main.welcome(context);
      }
      await next();
    });
    this.onMessage(async (context, next) => {
      setReplyLanguage(context, await this.languageOf(context));
      await this.main.run(context);
      await next();
    });
  }

  private async languageOf(context: TurnContext): Promise<Lang> {
    const nlu = context.turnState.get(TurnStateKey.nlu) as NluResult | undefined;
    return (
      toLang(nlu?.language) ??
      toLang(await this.language.get(context)) ??
      toLang(context.activity.locale) ??
      'en'
    );
  }
}
