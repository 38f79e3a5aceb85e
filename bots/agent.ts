import { ActivityHandler, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import { TurnStateKey } from '../core/turn-state.js';
import { type Lang, type MainDialog, setReplyLanguage, toLang } from '../dialogs/index.js';
import type { NluResult } from '../nlu-models/index.js';

/** Fewer words than this never change the conversation's language. */
const MIN_WORDS_TO_SWITCH = 2;

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
      const lang = await this.languageOf(context);
      setReplyLanguage(context, lang);
      if ((await this.language.get(context)) !== lang) await this.language.set(context, lang);
      await this.main.run(context);
      await next();
    });
  }

  /**
   * The language of this reply: what the customer wrote in, except that short answers (an email address,
   * an order number, "ok") keep the language the conversation already has — they carry too little text
   * to tell a language by.
   */
  private async languageOf(context: TurnContext): Promise<Lang> {
    const nlu = context.turnState.get(TurnStateKey.nlu) as NluResult | undefined;
    const remembered = toLang(await this.language.get(context));
    const words = (context.activity.text ?? '')
      .trim()
      .split(/\s+/)
      .filter((word) => /\p{L}{2,}/u.test(word));
    const detected = words.length >= MIN_WORDS_TO_SWITCH || !remembered ? toLang(nlu?.language) : undefined;
    return detected ?? remembered ?? toLang(context.activity.locale) ?? 'en';
  }
}
