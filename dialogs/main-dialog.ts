import { type Activity, MessageFactory, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import {
  type DialogContext,
  type DialogSet,
  type DialogTurnResult,
  DialogTurnStatus,
} from './botbuilder-dialogs.js';
import { TurnStateKey } from '../core/turn-state.js';
import type { NluResult } from '../nlu-models/recognizer/types.js';
import { CLARIFY_DIALOG, canOffer } from './clarify-dialog.js';
import { DialogContexts } from './dialog-contexts.js';
import { answersActivePrompt, innermost, isRetry, markUnderstood } from './dialog-stack.js';
import { type Lang, replyLanguage, setReplyLanguage, t } from './i18n.js';
import { INTENT_ROUTES, INTERRUPTIONS, type IntentRoute } from './intent-routes.js';
import { LOYALTY_DIALOG } from './loyalty-dialog.js';
import { SATISFACTION_DIALOG } from './satisfaction-dialog.js';
import type { HandoffService, OutcomeSink } from './services.js';

/** What the router remembers about this conversation. */
export interface ConversationFacts {
  /** Consecutive turns the agent did not understand. */
  fallbackStreak?: number;
  /** A task was completed: CSAT may be asked when the customer is done. */
  resolved?: boolean;
  csatAsked?: boolean;
  /** The intent of the task under way, for the outcome recorded when it is resolved. */
  task?: string;
}

export interface MainDialogOptions {
  dialogs: DialogSet;
  facts: StatePropertyAccessor<ConversationFacts>;
  /** Corpus answers of FAQ intents. */
  faq: (intent: string, lang: Lang) => string[] | undefined;
  handoff: HandoffService | undefined;
  outcomes?: OutcomeSink | undefined;
  /** The member's remembered language, set when they ask for another one. */
  language: StatePropertyAccessor<string | undefined>;
}

/** The language a customer asks for ("in Spanish please", "¿hablas inglés?"), or the other one. */
export function requestedLanguage(text: string, current: Lang): Lang {
  if (/spanish|espa[ñn]ol|castellano/i.test(text)) return 'es';
  if (/english|ingl[eé]s/i.test(text)) return 'en';
  return current === 'en' ? 'es' : 'en';
}

/** Confidence an interruption needs inside a running dialog (a wrong one would throw the dialog away). */
const INTERRUPTION_SCORE = 0.7;
/** Confidence a different task needs to replace the running dialog. */
const NEW_TASK_SCORE = 0.85;
/** Clarify when the best intent is below this and the second is within `CLARIFY_MARGIN` of it. */
const CLARIFY_BELOW = 0.6;
const CLARIFY_MARGIN = 0.2;
/** Below this the best intent is a guess: treated like a turn out of scope. */
const UNDERSTOOD_SCORE = 0.3;

/**
 * The agent's conversation on every message: interruptions first (help, cancel, start over, a person,
 * another language), then the running dialog, else the intent's route — with "Did you mean…?" when two
 * intents are close, one rephrase request after a turn out of scope, and CSAT once the customer is done.
 */
export class MainDialog {
  private readonly contexts: DialogContexts;

  constructor(private readonly options: MainDialogOptions) {
    this.contexts = new DialogContexts(options.dialogs);
  }

  async run(context: TurnContext): Promise<void> {
    const nlu = context.turnState.get(TurnStateKey.nlu) as NluResult | undefined;
    const dc = await this.contexts.create(context);
    // An answer to the running prompt ("2" on channels without buttons, or a button's title) never
    // interrupts it, however much it sounds like another intent.
    const isListAnswer =
      dc.activeDialog !== undefined && answersActivePrompt(dc, context.activity.text ?? '');
    if (nlu && !isListAnswer && (await this.interrupt(dc, nlu))) return markUnderstood(context);
    if (nlu && !isListAnswer && this.isNewTask(dc, nlu)) await dc.cancelAllDialogs();
    const waiting = innermost(dc);
    const result = await dc.continueDialog();
    // The running dialog took the answer unless the same prompt had to ask again.
    if (waiting && !isRetry(waiting, innermost(dc))) markUnderstood(context);
    if (result.status === DialogTurnStatus.empty) await this.afterTurn(dc, await this.route(dc, nlu));
    else await this.afterTurn(dc, result);
  }

  /** After a person handed the conversation back: the bot answers again and asks how it went. */
  async resumeAfterHandoff(context: TurnContext, lang: Lang): Promise<void> {
    setReplyLanguage(context, lang);
    const facts = await this.options.facts.get(context, {});
    facts.resolved = true;
    facts.csatAsked = true;
    facts.fallbackStreak = 0;
    const dc = await this.contexts.create(context);
    await dc.cancelAllDialogs();
    await dc.beginDialog(SATISFACTION_DIALOG);
  }

  /** Greets a new conversation. */
  async welcome(context: TurnContext): Promise<void> {
    await context.sendActivity(this.menu(replyLanguage(context), t(replyLanguage(context), 'welcome')));
  }

  /**
   * A customer who asks, with confidence, for a different task in the middle of a dialog ("cancel my
   * order ORD-1" while being asked yes/no about a return) gets that task, instead of the old question
   * again. Answers to the running dialog (an address that sounds like "change address") do not count.
   */
  private isNewTask(dc: DialogContext, nlu: NluResult): boolean {
    const active = dc.activeDialog?.id;
    const route = INTENT_ROUTES[nlu.topIntent];
    if (!active || !route || (nlu.intents[nlu.topIntent]?.score ?? 0) < NEW_TASK_SCORE) return false;
    if (route.kind === 'dialog') return route.dialogId !== active;
    return route.kind === 'loyalty' && active !== LOYALTY_DIALOG;
  }

  private async interrupt(dc: DialogContext, nlu: NluResult): Promise<boolean> {
    const intent = nlu.topIntent;
    if (!INTERRUPTIONS.has(intent)) return false;
    if (dc.activeDialog && (nlu.intents[intent]?.score ?? 0) < INTERRUPTION_SCORE) return false;
    const lang = replyLanguage(dc.context);
    switch (intent) {
      case 'agent.help':
        await dc.context.sendActivity(t(lang, 'help'));
        if (dc.activeDialog) await dc.repromptDialog();
        else await dc.context.sendActivity(this.menu(lang, t(lang, 'menu')));
        return true;
      case 'agent.cancel':
        if (!dc.activeDialog) return false;
        await dc.cancelAllDialogs();
        await dc.context.sendActivity(t(lang, 'cancelled'));
        return true;
      case 'agent.start_over':
        await dc.cancelAllDialogs();
        await this.options.facts.set(dc.context, {});
        await dc.context.sendActivity(t(lang, 'start.over'));
        await this.welcome(dc.context);
        return true;
      case 'handoff.request':
        await dc.cancelAllDialogs();
        await this.handOff(dc.context, 'explicit');
        return true;
      case 'language.switch': {
        const target = requestedLanguage(nlu.text, lang);
        setReplyLanguage(dc.context, target);
        await this.options.language.set(dc.context, target);
        await dc.context.sendActivity(t(target, 'language.switched'));
        if (dc.activeDialog) await dc.repromptDialog();
        return true;
      }
      default:
        return false;
    }
  }

  private async route(dc: DialogContext, nlu: NluResult | undefined): Promise<DialogTurnResult | undefined> {
    const lang = replyLanguage(dc.context);
    const facts = await this.options.facts.get(dc.context, {});
    if (!nlu || nlu.text.trim() === '') {
      await dc.context.sendActivity(this.menu(lang, t(lang, 'menu')));
      return undefined;
    }
    if (nlu.isOutOfScope || (nlu.intents[nlu.topIntent]?.score ?? 0) < UNDERSTOOD_SCORE) {
      facts.fallbackStreak = (facts.fallbackStreak ?? 0) + 1;
      if (facts.fallbackStreak >= 2) {
        facts.fallbackStreak = 0;
        await dc.context.sendActivity(t(lang, 'not.understood'));
        await this.handOff(dc.context, 'not_understood', false);
      } else {
        await dc.context.sendActivity(t(lang, 'rephrase'));
      }
      return undefined;
    }
    facts.fallbackStreak = 0;
    const ranked = Object.entries(nlu.intents)
      .filter(([intent]) => intent !== 'None')
      .sort(([, a], [, b]) => b.score - a.score);
    const [first, second] = ranked;
    if (
      first &&
      second &&
      first[1].score < CLARIFY_BELOW &&
      first[1].score - second[1].score < CLARIFY_MARGIN &&
      canOffer(first[0]) &&
      canOffer(second[0])
    ) {
      return dc.beginDialog(CLARIFY_DIALOG, { intents: [first[0], second[0]] });
    }
    return this.dispatch(dc, nlu.topIntent, nlu);
  }

  private async dispatch(
    dc: DialogContext,
    intent: string,
    nlu: NluResult | undefined,
  ): Promise<DialogTurnResult | undefined> {
    const lang = replyLanguage(dc.context);
    const route: IntentRoute | undefined = INTENT_ROUTES[intent];
    (await this.options.facts.get(dc.context, {})).task = intent;
    if (route?.kind === 'dialog') {
      const orderNumber = (nlu?.entities as { orderNumber?: string[] } | undefined)?.orderNumber?.[0];
      return dc.beginDialog(route.dialogId, {
        ...route.options,
        ...(route.withOrderNumber && orderNumber ? { orderNumber } : {}),
      });
    }
    if (route?.kind === 'loyalty') {
      const answers = this.options.faq(intent, lang);
      if (route.faqFallback && answers?.[0] && !dc.dialogs.find(LOYALTY_DIALOG)) {
        await dc.context.sendActivity(answers[0]);
        return undefined;
      }
      return dc.beginDialog(LOYALTY_DIALOG, { action: route.action });
    }
    if (route?.kind === 'reply') return this.reply(dc, route.reply, lang);
    const answers = this.options.faq(intent, lang);
    if (answers?.[0]) {
      await dc.context.sendActivity(answers[0]);
      await this.markResolved(dc.context);
      return undefined;
    }
    await dc.context.sendActivity(t(lang, 'help'));
    return undefined;
  }

  private async reply(
    dc: DialogContext,
    reply: Extract<IntentRoute, { kind: 'reply' }>['reply'],
    lang: Lang,
  ) {
    const facts = await this.options.facts.get(dc.context, {});
    const finished = reply === 'goodbye' || reply === 'thanks' || reply === 'no';
    if (finished && facts.resolved && !facts.csatAsked) {
      facts.csatAsked = true;
      if (reply === 'thanks') await dc.context.sendActivity(t(lang, 'thanks'));
      return dc.beginDialog(SATISFACTION_DIALOG);
    }
    switch (reply) {
      case 'welcome':
        await this.welcome(dc.context);
        break;
      case 'help':
        await dc.context.sendActivity(t(lang, 'help'));
        await dc.context.sendActivity(this.menu(lang, t(lang, 'menu')));
        break;
      case 'goodbye':
        await dc.context.sendActivity(t(lang, 'goodbye'));
        break;
      case 'thanks':
        await dc.context.sendActivity(`${t(lang, 'thanks')} ${t(lang, 'anything.else')}`);
        break;
      case 'complaint':
        // An angry complaint reaches a person through the handoff policy (sentiment, VIP); a calm one
        // gets the offer.
        await dc.context.sendActivity(
          MessageFactory.suggestedActions(
            [t(lang, 'menu.human'), t(lang, 'menu.order')],
            t(lang, 'complaint.sorry'),
          ),
        );
        break;
      case 'handoff':
        await this.handOff(dc.context, 'explicit');
        break;
      case 'yes':
      case 'no':
      case 'nothing.to.cancel':
        await dc.context.sendActivity(
          this.menu(lang, t(lang, reply === 'nothing.to.cancel' ? 'nothing.to.cancel' : 'menu')),
        );
        break;
      case 'start.over':
        await dc.context.sendActivity(t(lang, 'start.over'));
        await this.welcome(dc.context);
        break;
      default: {
        const unknown: never = reply;
        throw new Error(`unknown reply ${String(unknown)}`);
      }
    }
    return undefined;
  }

  /** After a dialog ended: a clarified intent is served; a resolved task asks whether anything else is needed. */
  private async afterTurn(dc: DialogContext, result: DialogTurnResult | undefined): Promise<void> {
    if (result?.status !== DialogTurnStatus.complete) return;
    const outcome =
      typeof result.result === 'object' && result.result !== null
        ? (result.result as { clarified?: string; resolved?: boolean })
        : undefined;
    if (outcome && 'clarified' in outcome) {
      if (outcome.clarified) await this.afterTurn(dc, await this.dispatch(dc, outcome.clarified, undefined));
      else
        await dc.context.sendActivity(
          this.menu(replyLanguage(dc.context), t(replyLanguage(dc.context), 'menu')),
        );
      return;
    }
    if (outcome?.resolved) {
      await this.markResolved(dc.context);
      await dc.context.sendActivity(t(replyLanguage(dc.context), 'anything.else'));
    }
  }

  private async markResolved(context: TurnContext): Promise<void> {
    const facts = await this.options.facts.get(context, {});
    facts.resolved = true;
    this.options.outcomes?.taskResolved(context, facts.task);
  }

  private async handOff(context: TurnContext, reason: 'explicit' | 'not_understood', announce = true) {
    const lang = replyLanguage(context);
    const accepted = (await this.options.handoff?.request(context, reason)) ?? false;
    if (accepted && announce) await context.sendActivity(t(lang, 'handoff.requested'));
    if (!accepted) await context.sendActivity(t(lang, 'handoff.unavailable'));
  }

  private menu(lang: Lang, text: string): Partial<Activity> {
    return MessageFactory.suggestedActions(
      [t(lang, 'menu.order'), t(lang, 'menu.return'), t(lang, 'menu.points'), t(lang, 'menu.human')],
      text,
    );
  }
}
