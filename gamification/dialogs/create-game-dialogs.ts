import type { Dialog } from '../../dialogs/botbuilder-dialogs.js';
import type { Clock } from '../../core/clock.js';
import type { Lang } from '../../dialogs/i18n.js';
import type { IdempotencyStore } from '../../storage/types.js';
import type { GamificationPlugin } from '../create-gamification.js';
import { DailyGames } from '../games/daily-games.js';
import { loadQuestionBank, type QuestionBank } from '../games/question-bank.js';
import { cryptoRandomInt, type RandomInt } from '../games/trivia.js';
import { DailySpinDialog } from './daily-spin-dialog.js';
import { TriviaDialog } from './trivia-dialog.js';

export interface GameDialogsOptions {
  /**
   * Where the day's plays are claimed: the agent's shared store (`stores.idempotency`), so a member
   * playing on web chat cannot play again on Slack the same day.
   */
  plays: IdempotencyStore;
  clock?: Clock;
  /** Draws questions, shuffles options and spins the wheel; default `crypto.randomInt`. */
  random?: RandomInt;
  /** Question banks; default the shipped `gamification/config/trivia/{en,es}.json`. */
  banks?: Record<Lang, QuestionBank>;
}

/** The games as dialogs the agent's games menu starts (the `GamesService` of dialogs/). */
export interface GameDialogs {
  readonly trivia: Dialog;
  readonly dailySpin: Dialog;
}

/**
 * Builds the trivia and daily-spin dialogs on a gamification plugin: one `DailyGames` for both, so
 * both follow the same one-play-per-day rule and pay through the same ledger.
 */
export function createGameDialogs(plugin: GamificationPlugin, options: GameDialogsOptions): GameDialogs {
  const random = options.random ?? cryptoRandomInt;
  const games = new DailyGames(plugin.gamification, options.plays, {
    random,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const config = plugin.gamification.config.games;
  return {
    trivia: new TriviaDialog({
      games,
      banks: options.banks ?? { en: loadQuestionBank('en'), es: loadQuestionBank('es') },
      pointsPerCorrectAnswer: config.trivia.pointsPerCorrectAnswer,
      random,
    }),
    dailySpin: new DailySpinDialog({ games, prizes: config.dailySpin?.prizes }),
  };
}
