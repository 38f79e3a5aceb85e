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
import type { Lang } from '../../dialogs/i18n.js';
import { replyLanguage } from '../../dialogs/i18n.js';
import { type DailyGames, GameErrorCode, type TriviaPlay } from '../games/daily-games.js';
import type { QuestionBank } from '../games/question-bank.js';
import { answerTrivia, currentQuestion, type RandomInt } from '../games/trivia.js';
import { isRedelivery, NumberedAnswerPrompt, playOptions, shuffledOrder } from './game-turn.js';
import { say } from './locale.js';

export const TRIVIA_DIALOG = 'trivia';
const QUESTION = 'triviaQuestion';
const ANSWER_PROMPT = 'triviaAnswer';

export interface TriviaDialogOptions {
  games: DailyGames;
  /** The question bank of each language the agent speaks (same question ids in each). */
  banks: Record<Lang, QuestionBank>;
  /** Points per right answer, as the intro announces them (the rules pay them). */
  pointsPerCorrectAnswer: number;
  /** Shuffles the options of each question; crypto in production, seeded in fixtures. */
  random: RandomInt;
}

/** What one question's turn keeps in dialog state (server-side only; the client sees text and titles). */
interface QuestionState {
  /** Who started the play (paid to this turn's member if identity merged them meanwhile). */
  memberId: string;
  play: TriviaPlay;
  /** Display position → the bank's option index. */
  order?: number[];
  /** The bank the question was asked from: the answer is scored against the same one. */
  askedIn?: Lang;
}

/**
 * Today's trivia: five questions from the bank in the member's language, options shuffled and offered
 * as buttons (numbered text where the channel has none). The right answer stays on the server until the
 * member has answered. One play per member and day on every channel (`DailyGames`); the play is paid
 * once, under its play id, when the last question is answered.
 */
export class TriviaDialog extends ComponentDialog {
  constructor(private readonly options: TriviaDialogOptions) {
    super(TRIVIA_DIALOG);
    this.initialDialogId = 'start';
    this.addDialog(new NumberedAnswerPrompt(ANSWER_PROMPT));
    this.addDialog(
      new WaterfallDialog('start', [
        async (step) => this.start(step),
        async (step) => step.endDialog(step.result),
      ]),
    );
    this.addDialog(
      new WaterfallDialog(QUESTION, [async (step) => this.ask(step), async (step) => this.check(step)]),
    );
  }

  /** A redelivered answer is ignored: the first delivery already answered it. */
  override async continueDialog(outerDc: DialogContext): Promise<DialogTurnResult> {
    if (isRedelivery(outerDc)) return Dialog.EndOfTurn;
    return super.continueDialog(outerDc);
  }

  private async start(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const lang = replyLanguage(step.context);
    const member = turnMember(step.context);
    if (!member) {
      await step.context.sendActivity(say(lang, 'game.unavailable'));
      return step.endDialog({ resolved: false });
    }
    let play: TriviaPlay;
    try {
      play = await this.options.games.startTrivia(
        member.id,
        this.options.banks[lang],
        playOptions(step.context, member.isSuspect),
      );
    } catch (error) {
      if (!hasCode(error, GameErrorCode.alreadyPlayed)) throw error;
      await step.context.sendActivity(say(lang, 'trivia.already'));
      return step.endDialog({ resolved: true });
    }
    await step.context.sendActivity(
      say(lang, 'trivia.intro', {
        count: play.round.questionIds.length,
        points: this.options.pointsPerCorrectAnswer,
      }),
    );
    return step.beginDialog(QUESTION, { memberId: member.id, play } satisfies QuestionState);
  }

  private async ask(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const state = step.options as QuestionState;
    const lang = replyLanguage(step.context);
    const question = currentQuestion(this.options.banks[lang], state.play.round);
    if (!question) return step.endDialog({ resolved: true });
    const order = shuffledOrder(question.options.length, this.options.random);
    Object.assign(step.values, { ...state, order, askedIn: lang } satisfies QuestionState);
    const params = { number: question.number, of: question.of, text: question.text };
    return step.prompt(ANSWER_PROMPT, {
      prompt: say(lang, 'trivia.question', params),
      retryPrompt: say(lang, 'trivia.retry', { ...params, count: order.length }),
      // Titles only: nothing in the activity marks the right option.
      choices: order.map((index) => question.options[index] as string),
    });
  }

  private async check(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { memberId, play, order, askedIn } = step.values as Required<QuestionState>;
    const lang = replyLanguage(step.context);
    const outcome = answerTrivia(
      this.options.banks[askedIn],
      play.round,
      order[step.result as number] as number,
    );
    await step.context.sendActivity(
      outcome.isCorrect
        ? say(lang, 'trivia.right')
        : say(lang, 'trivia.wrong', { answer: outcome.correctOption }),
    );
    const next: TriviaPlay = { ...play, round: outcome.round };
    if (!outcome.isFinished)
      return step.replaceDialog(QUESTION, { memberId, play: next } satisfies QuestionState);
    const member = turnMember(step.context);
    const result = await this.options.games.finishTrivia(
      member?.id ?? memberId,
      next,
      playOptions(step.context, member?.isSuspect),
    );
    const params = { correct: result.correct, of: result.of, points: result.points };
    await step.context.sendActivity(
      [
        say(lang, result.isWin ? 'trivia.result.win' : 'trivia.result', params),
        say(lang, 'trivia.balance', { balance: result.balance }),
      ].join(' '),
    );
    return step.endDialog({ resolved: true });
  }
}
