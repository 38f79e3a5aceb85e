import { randomInt } from 'node:crypto';
import { RelevoError } from '../../core/errors.js';
import type { QuestionBank } from './question-bank.js';

/** Picks an integer in [0, max): injected so tests are exact; crypto by default. */
export type RandomInt = (max: number) => number;

export const cryptoRandomInt: RandomInt = (max) => randomInt(max);

/**
 * The state of one trivia play, small enough for dialog state. It holds question ids, never answers,
 * so nothing the client can see reveals them.
 */
export interface TriviaRound {
  language: string;
  questionIds: string[];
  /** Index of the question being asked. */
  position: number;
  correct: number;
}

/** What the member is shown: the question and its options, without the answer. */
export interface AskedQuestion {
  id: string;
  number: number;
  of: number;
  text: string;
  options: string[];
}

export interface AnswerOutcome {
  isCorrect: boolean;
  /** The right option, shown after the member answered. */
  correctOption: string;
  round: TriviaRound;
  isFinished: boolean;
}

export const TriviaErrorCode = {
  bankTooSmall: 'RELEVO_TRIVIA_BANK_TOO_SMALL',
  finished: 'RELEVO_TRIVIA_FINISHED',
  invalidChoice: 'RELEVO_TRIVIA_INVALID_CHOICE',
} as const;

/** Starts a play of `count` distinct questions drawn at random from the bank. */
export function startTrivia(bank: QuestionBank, count = 5, random: RandomInt = cryptoRandomInt): TriviaRound {
  if (bank.questions.length < count) {
    throw new RelevoError(
      TriviaErrorCode.bankTooSmall,
      `The ${bank.language} bank has fewer than ${count} questions`,
    );
  }
  // Partial Fisher–Yates: the first `count` slots are a uniform sample without repeats.
  const ids = bank.questions.map((q) => q.id);
  for (let i = 0; i < count; i += 1) {
    const j = i + random(ids.length - i);
    [ids[i], ids[j]] = [ids[j] as string, ids[i] as string];
  }
  return { language: bank.language, questionIds: ids.slice(0, count), position: 0, correct: 0 };
}

/** The question to ask now, or `undefined` when the play is over. */
export function currentQuestion(bank: QuestionBank, round: TriviaRound): AskedQuestion | undefined {
  const id = round.questionIds[round.position];
  const question = bank.questions.find((q) => q.id === id);
  if (question === undefined) return undefined;
  return {
    id: question.id,
    number: round.position + 1,
    of: round.questionIds.length,
    text: question.text,
    options: [...question.options],
  };
}

/** Checks the member's choice (0-based option index) and moves to the next question. Pure. */
export function answerTrivia(bank: QuestionBank, round: TriviaRound, choice: number): AnswerOutcome {
  const id = round.questionIds[round.position];
  const question = bank.questions.find((q) => q.id === id);
  if (question === undefined) throw new RelevoError(TriviaErrorCode.finished, 'This trivia play is over');
  if (!Number.isInteger(choice) || choice < 0 || choice >= question.options.length) {
    throw new RelevoError(
      TriviaErrorCode.invalidChoice,
      `Choose an option from 1 to ${question.options.length}`,
    );
  }
  const isCorrect = choice === question.answer;
  const next: TriviaRound = {
    ...round,
    position: round.position + 1,
    correct: round.correct + (isCorrect ? 1 : 0),
  };
  return {
    isCorrect,
    correctOption: question.options[question.answer] as string,
    round: next,
    isFinished: next.position >= next.questionIds.length,
  };
}
