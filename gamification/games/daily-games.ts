import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { RelevoError } from '../../core/errors.js';
import type { IdempotencyStore } from '../../storage/types.js';
import { localDay } from '../calendar.js';
import { isTimeZone } from '../config/schema.js';
import type { Gamification } from '../gamification.js';
import { type SpinPrize, spinWheel } from './daily-spin.js';
import type { QuestionBank } from './question-bank.js';
import { cryptoRandomInt, type RandomInt, startTrivia, type TriviaRound } from './trivia.js';

const TWO_DAYS_MS = 2 * 86_400_000;

export const GameErrorCode = {
  alreadyPlayed: 'RELEVO_GAME_ALREADY_PLAYED',
  notConfigured: 'RELEVO_GAME_NOT_CONFIGURED',
} as const;

export interface PlayOptions {
  /** The member's IANA time zone: "one play per day" uses their day. */
  timeZone?: string | undefined;
  isSuspect?: boolean | undefined;
}

/** A trivia play in progress, kept in dialog state between turns. */
export interface TriviaPlay {
  /** `trivia:<member>:<day>`: the idempotency key of its points. */
  playId: string;
  round: TriviaRound;
}

export interface SpinOutcome {
  prize: SpinPrize;
  /** Points credited (0 for a no-points slot or a suspect member). */
  points: number;
  balance: number;
}

export interface TriviaOutcome {
  correct: number;
  of: number;
  points: number;
  isWin: boolean;
  balance: number;
}

/**
 * The daily games' rules around the pure engines: one play per game, member and day (claimed in the
 * shared idempotency store, so two channels cannot both play), points through the ledger under one
 * key per play, and `game.played` / `game.won` outcomes for badges.
 */
export class DailyGames {
  private readonly clock: Clock;
  private readonly random: RandomInt;

  constructor(
    private readonly gamification: Gamification,
    private readonly plays: IdempotencyStore,
    options: { clock?: Clock; random?: RandomInt } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? cryptoRandomInt;
  }

  /** Spins today's wheel for the member, or throws `RELEVO_GAME_ALREADY_PLAYED`. */
  async spin(memberId: string, options: PlayOptions = {}): Promise<SpinOutcome> {
    const prizes = this.gamification.config.games.dailySpin?.prizes;
    if (prizes === undefined)
      throw new RelevoError(GameErrorCode.notConfigured, 'The daily spin is not configured');
    const playId = await this.claim('spin', memberId, options);
    const prize = spinWheel(prizes, this.random);
    const points = options.isSuspect ? 0 : prize.points;
    if (points > 0) {
      await this.gamification.ledger.credit({
        memberId,
        amount: points,
        reason: `game:spin:${prize.id}`,
        idempotencyKey: playId,
      });
    }
    await this.gamification.award({
      id: playId,
      type: 'game.played',
      memberId,
      timeZone: options.timeZone,
      isSuspect: options.isSuspect,
    });
    const { balance } = await this.gamification.ledger.balance(memberId);
    return { prize, points, balance };
  }

  /** Starts today's trivia play for the member, or throws `RELEVO_GAME_ALREADY_PLAYED`. */
  async startTrivia(memberId: string, bank: QuestionBank, options: PlayOptions = {}): Promise<TriviaPlay> {
    const playId = await this.claim('trivia', memberId, options);
    return {
      playId,
      round: startTrivia(bank, this.gamification.config.games.trivia.questionsPerPlay, this.random),
    };
  }

  /** Pays a finished play: points per right answer, once per play id, and the game outcomes. */
  async finishTrivia(memberId: string, play: TriviaPlay, options: PlayOptions = {}): Promise<TriviaOutcome> {
    const rules = this.gamification.config.games.trivia;
    const points = options.isSuspect ? 0 : play.round.correct * rules.pointsPerCorrectAnswer;
    if (points > 0) {
      await this.gamification.ledger.credit({
        memberId,
        amount: points,
        reason: 'game:trivia',
        idempotencyKey: play.playId,
      });
    }
    const isWin = play.round.correct >= rules.wonAtCorrect;
    const event = { memberId, timeZone: options.timeZone, isSuspect: options.isSuspect };
    await this.gamification.award({ ...event, id: play.playId, type: 'game.played' });
    if (isWin) await this.gamification.award({ ...event, id: `${play.playId}:won`, type: 'game.won' });
    const { balance } = await this.gamification.ledger.balance(memberId);
    return { correct: play.round.correct, of: play.round.questionIds.length, points, isWin, balance };
  }

  private async claim(game: string, memberId: string, options: PlayOptions): Promise<string> {
    const zone =
      options.timeZone !== undefined && isTimeZone(options.timeZone)
        ? options.timeZone
        : this.gamification.config.timeZone;
    const playId = `${game}:${memberId}:${localDay(this.clock.now(), zone)}`;
    if (!(await this.plays.claim(`game:${playId}`, TWO_DAYS_MS))) {
      throw new RelevoError(GameErrorCode.alreadyPlayed, 'Already played today; come back tomorrow', {
        statusCode: 409,
        details: { game, memberId },
      });
    }
    return playId;
  }
}
