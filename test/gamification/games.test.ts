import { describe, expect, it } from 'vitest';
import { hasCode } from '../../core/errors.js';
import { loadGamificationConfig } from '../../gamification/config/schema.js';
import { createGamification } from '../../gamification/create-gamification.js';
import { DailyGames, GameErrorCode } from '../../gamification/games/daily-games.js';
import { publishedOdds, type SpinPrize, spinWheel } from '../../gamification/games/daily-spin.js';
import { loadQuestionBank } from '../../gamification/games/question-bank.js';
import {
  answerTrivia,
  currentQuestion,
  startTrivia,
  TriviaErrorCode,
} from '../../gamification/games/trivia.js';
import { MemoryIdempotencyStore } from '../../storage/memory-idempotency.js';
import { manualClock } from '../contract/ledger-contract.js';

const PRIZES: SpinPrize[] = [
  { id: 'none', label: { en: 'Try again', es: 'Otra vez' }, points: 0, weight: 5 },
  { id: 'small', label: { en: '10 points' }, points: 10, weight: 3 },
  { id: 'big', label: { en: '100 points' }, points: 100, weight: 2 },
];

/** Always draws the first option/slot: makes plays exact. */
const first = () => 0;

describe('trivia engine', () => {
  it('asks five distinct questions and never shows the answer before the member answers', () => {
    const bank = loadQuestionBank('en');
    const round = startTrivia(bank, 5);
    expect(new Set(round.questionIds).size).toBe(5);
    const asked = currentQuestion(bank, round);
    expect(asked).toMatchObject({ number: 1, of: 5 });
    expect(JSON.stringify(asked)).not.toContain('answer');
    expect(JSON.stringify(round)).not.toContain('answer');
  });

  it('scores each answer, reveals the right option after it, and ends after the last question', () => {
    const bank = loadQuestionBank('es');
    let round = startTrivia(bank, 2, first);
    const question = bank.questions.find((q) => q.id === round.questionIds[0]);
    const right = answerTrivia(bank, round, question?.answer as number);
    expect(right).toMatchObject({ isCorrect: true, isFinished: false });
    round = right.round;
    expect(() => answerTrivia(bank, round, 9)).toThrow(
      expect.objectContaining({ code: TriviaErrorCode.invalidChoice }),
    );
    const wrongChoice =
      (bank.questions.find((q) => q.id === round.questionIds[1])?.answer as number) === 0 ? 1 : 0;
    const last = answerTrivia(bank, round, wrongChoice);
    expect(last).toMatchObject({ isCorrect: false, isFinished: true, round: { correct: 1 } });
    expect(currentQuestion(bank, last.round)).toBeUndefined();
  });

  it('has the same questions in English and Spanish', () => {
    const ids = (language: string) => loadQuestionBank(language).questions.map((q) => q.id);
    expect(ids('es')).toEqual(ids('en'));
  });
});

describe('daily spin engine', () => {
  it('publishes exact odds in the member’s language', () => {
    expect(publishedOdds(PRIZES, 'es')).toEqual([
      { id: 'none', label: 'Otra vez', points: 0, probability: 0.5, percent: '50 %' },
      { id: 'small', label: '10 points', points: 10, probability: 0.3, percent: '30 %' },
      { id: 'big', label: '100 points', points: 100, probability: 0.2, percent: '20 %' },
    ]);
  });

  it('maps every ticket to the slot its weight covers', () => {
    const slots = Array.from({ length: 10 }, (_, ticket) => spinWheel(PRIZES, () => ticket).id);
    expect(slots).toEqual(['none', 'none', 'none', 'none', 'none', 'small', 'small', 'small', 'big', 'big']);
  });
});

describe('daily games', () => {
  async function setup() {
    const clock = manualClock(Date.UTC(2026, 10, 20, 12));
    const { gamification, ledger } = await createGamification({
      stores: { kind: 'memory', prefix: 'x', redis: undefined },
      config: loadGamificationConfig(),
      clock,
    });
    const games = new DailyGames(gamification, new MemoryIdempotencyStore(), {
      clock,
      random: (max) => 60 % max,
    });
    return { clock, gamification, ledger, games };
  }

  it('lets a member spin once a day whatever channel they come from, and pays the prize', async () => {
    const { clock, games, ledger, gamification } = await setup();
    const spins = await Promise.allSettled([games.spin('ana'), games.spin('ana')]);
    expect(spins.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
    const won = spins.find((s) => s.status === 'fulfilled');
    // Ticket 60 of 100 falls in "points-10" (40 ≤ 60 < 75) on the shipped wheel.
    expect(won?.status === 'fulfilled' && won.value).toMatchObject({
      prize: { id: 'points-10' },
      points: 10,
      balance: 10,
    });
    await expect(games.spin('ana')).rejects.toSatisfy((error) => hasCode(error, GameErrorCode.alreadyPlayed));
    clock.advance(24 * 3_600_000);
    await expect(games.spin('ana')).resolves.toMatchObject({ points: 10 });
    expect((await ledger.balance('ana')).balance).toBe(20);
    expect((await gamification.profile('ana')).badges.map((b) => b.id)).toContain('first-game');
  });

  it('pays a trivia play per right answer once, and counts four right answers as a win', async () => {
    const { games, ledger } = await setup();
    const bank = loadQuestionBank('en');
    const play = await games.startTrivia('ben', bank);
    const perfect = { ...play, round: { ...play.round, position: 5, correct: 4 } };
    const outcome = await games.finishTrivia('ben', perfect);
    // 4 × 10 per right answer + 10 for the "game-won" rule.
    expect(outcome).toMatchObject({ correct: 4, of: 5, points: 40, isWin: true, balance: 50 });
    await games.finishTrivia('ben', perfect);
    expect((await ledger.balance('ben')).balance).toBe(50);
    await expect(games.startTrivia('ben', bank)).rejects.toSatisfy((error) =>
      hasCode(error, GameErrorCode.alreadyPlayed),
    );
  });
});
