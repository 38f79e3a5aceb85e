import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { RelevoError } from '../../core/errors.js';
import type { IdempotencyStore } from '../../storage/types.js';
import { localDay, previousDay } from '../calendar.js';
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
  /**
   * The turn playing (its channel, conversation and inbound or activity id): the same turn run again
   * — its process died before its state was saved, or its save met a conflict — gets the play it
   * claimed back, with the same draw, instead of "already played", also after the member's midnight.
   */
  turn?: string | undefined;
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
    const { playId, drawn: prize } = await this.claim('spin', memberId, options, () =>
      spinWheel(prizes, this.random),
    );
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
    const { playId, drawn: round } = await this.claim('trivia', memberId, options, () =>
      startTrivia(bank, this.gamification.config.games.trivia.questionsPerPlay, this.random),
    );
    return { playId, round };
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

  /**
   * Claims today's play of `game` for the member together with its draw, kept with the claim beside the
   * turn that made it: that turn run again gets both back (its points are credited under the same
   * play id, so once), any other turn the same day `RELEVO_GAME_ALREADY_PLAYED`.
   */
  private async claim<T>(
    game: string,
    memberId: string,
    options: PlayOptions,
    draw: () => T,
  ): Promise<{ playId: string; drawn: T }> {
    const zone =
      options.timeZone !== undefined && isTimeZone(options.timeZone)
        ? options.timeZone
        : this.gamification.config.timeZone;
    const day = localDay(this.clock.now(), zone);
    // Any run of a turn may be a re-run of one that claimed before midnight (a queued re-delivery, a
    // channel's retry of an invoke or expectReplies message, a state-conflict re-run), and nothing
    // tells a first run from a re-run: one GET of yesterday's claim, which lives two days, tells.
    if (options.turn !== undefined) {
      const before = `${game}:${memberId}:${previousDay(day)}`;
      const earlier = parseClaim(await this.plays.valueOf(`game:${before}`));
      if (earlier?.turn === options.turn) return { playId: before, drawn: earlier.drawn as T };
    }
    const playId = `${game}:${memberId}:${day}`;
    const key = `game:${playId}`;
    const drawn = draw();
    const claim: PlayClaim = { turn: options.turn, drawn };
    if (await this.plays.claim(key, TWO_DAYS_MS, JSON.stringify(claim))) return { playId, drawn };
    const earlier = options.turn === undefined ? undefined : parseClaim(await this.plays.valueOf(key));
    if (earlier !== undefined && earlier.turn === options.turn) return { playId, drawn: earlier.drawn as T };
    throw new RelevoError(GameErrorCode.alreadyPlayed, 'Already played today; come back tomorrow', {
      statusCode: 409,
      details: { game, memberId },
    });
  }
}

/** What a day's play claim holds: the turn that claimed it and what it drew (prize or questions). */
interface PlayClaim {
  turn: string | undefined;
  drawn: unknown;
}

/** A claim's value as stored (`'1'` for claims made before the claim kept its turn: another turn's). */
function parseClaim(value: string | undefined): PlayClaim | undefined {
  try {
    const claim = JSON.parse(value ?? '') as Partial<PlayClaim> | null;
    return typeof claim?.turn === 'string' ? { turn: claim.turn, drawn: claim.drawn } : undefined;
  } catch {
    return undefined;
  }
}
