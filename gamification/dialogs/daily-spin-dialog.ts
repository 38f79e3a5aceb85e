import {
  ComponentDialog,
  Dialog,
  type DialogContext,
  type DialogTurnResult,
  WaterfallDialog,
  type WaterfallStepContext,
} from '../../dialogs/botbuilder-dialogs.js';
import { hasCode } from '../../core/errors.js';
import { turnMember } from '../../core/turn-state.js';
import { replyLanguage } from '../../dialogs/i18n.js';
import { ListPrompt } from '../../dialogs/prompts.js';
import { type DailyGames, GameErrorCode } from '../games/daily-games.js';
import { publishedOdds, type SpinPrize } from '../games/daily-spin.js';
import { isRedelivery, playOptions } from './game-turn.js';
import { say } from './locale.js';

export const DAILY_SPIN_DIALOG = 'dailySpin';
const OFFER = 'spinOffer';
const CHOICE_PROMPT = 'spinChoice';

type SpinAction = 'spin' | 'odds' | 'later';

export interface DailySpinDialogOptions {
  games: DailyGames;
  /** The wheel's prizes and weights (`games.dailySpin.prizes`); undefined: no daily spin configured. */
  prizes: readonly SpinPrize[] | undefined;
}

/**
 * The daily spin: offered with its published odds on request, one spin per member and day on every
 * channel (`DailyGames`), drawn on the server, the prize credited once under the play's id.
 */
export class DailySpinDialog extends ComponentDialog {
  constructor(private readonly options: DailySpinDialogOptions) {
    super(DAILY_SPIN_DIALOG);
    this.initialDialogId = OFFER;
    this.addDialog(new ListPrompt(CHOICE_PROMPT));
    this.addDialog(
      new WaterfallDialog(OFFER, [async (step) => this.offer(step), async (step) => this.act(step)]),
    );
  }

  /** A redelivered "spin" is ignored: the first delivery already spun. */
  override async continueDialog(outerDc: DialogContext): Promise<DialogTurnResult> {
    if (isRedelivery(outerDc)) return Dialog.EndOfTurn;
    return super.continueDialog(outerDc);
  }

  private async offer(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const lang = replyLanguage(step.context);
    if (!turnMember(step.context) || !this.options.prizes) {
      await step.context.sendActivity(say(lang, 'game.unavailable'));
      return step.endDialog({ resolved: false });
    }
    const hasSeenOdds = (step.options as { hasSeenOdds?: boolean } | undefined)?.hasSeenOdds === true;
    const actions: SpinAction[] = hasSeenOdds ? ['spin', 'later'] : ['spin', 'odds', 'later'];
    (step.values as { actions: SpinAction[] }).actions = actions;
    const titles = {
      spin: say(lang, 'spin.now'),
      odds: say(lang, 'spin.odds'),
      later: say(lang, 'spin.later'),
    };
    return step.prompt(CHOICE_PROMPT, {
      prompt: say(lang, hasSeenOdds ? 'spin.offer.again' : 'spin.offer'),
      choices: actions.map((action) => titles[action]),
    });
  }

  private async act(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const lang = replyLanguage(step.context);
    const action = (step.values as { actions: SpinAction[] }).actions[step.result as number];
    const member = turnMember(step.context);
    if (action === 'odds') {
      const rows = publishedOdds(this.options.prizes ?? [], lang).map((odds) =>
        say(lang, 'spin.odds.row', { label: odds.label, percent: odds.percent }),
      );
      await step.context.sendActivity([say(lang, 'spin.odds.title'), ...rows].join('\n'));
      return step.replaceDialog(OFFER, { hasSeenOdds: true });
    }
    if (action !== 'spin' || !member) {
      await step.context.sendActivity(say(lang, 'spin.maybe.later'));
      return step.endDialog({ resolved: true });
    }
    try {
      const outcome = await this.options.games.spin(member.id, playOptions(step.context, member.isSuspect));
      const label = outcome.prize.label[lang] ?? outcome.prize.label.en ?? outcome.prize.id;
      await step.context.sendActivity(
        outcome.points > 0
          ? say(lang, 'spin.won', { label, balance: outcome.balance })
          : say(lang, 'spin.lost', { label }),
      );
    } catch (error) {
      if (!hasCode(error, GameErrorCode.alreadyPlayed)) throw error;
      await step.context.sendActivity(say(lang, 'spin.already'));
    }
    return step.endDialog({ resolved: true });
  }
}
