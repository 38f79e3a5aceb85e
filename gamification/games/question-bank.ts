import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RelevoError } from '../../core/errors.js';

const question = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    text: z.string().min(1),
    options: z.array(z.string().min(1)).min(2).max(6),
    /** Index of the right option; it never leaves the server. */
    answer: z.number().int().min(0),
  })
  .strict()
  .refine((q) => q.answer < q.options.length, {
    message: 'answer must index one of the options',
    path: ['answer'],
  });

const bankSchema = z
  .object({ language: z.string().regex(/^[a-z]{2}$/), questions: z.array(question).min(1) })
  .strict()
  .superRefine((bank, context) => {
    const seen = new Set<string>();
    bank.questions.forEach((q, index) => {
      if (seen.has(q.id))
        context.addIssue({
          code: 'custom',
          path: ['questions', index, 'id'],
          message: `duplicate id "${q.id}"`,
        });
      seen.add(q.id);
    });
  });

/** A trivia question bank of one language. */
export type QuestionBank = z.output<typeof bankSchema>;
export type TriviaQuestion = QuestionBank['questions'][number];

export const QuestionBankErrorCode = 'RELEVO_TRIVIA_BANK';

/** Validates a question bank; every problem is listed with its path. */
export function parseQuestionBank(input: unknown, source = 'question bank'): QuestionBank {
  const result = bankSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new RelevoError(QuestionBankErrorCode, `Invalid ${source}:\n  ${problems.join('\n  ')}`, {
    details: { problems },
  });
}

/** Loads the shipped bank of a language (`gamification/config/trivia/<language>.json`). */
export function loadQuestionBank(language: string): QuestionBank {
  if (!/^[a-z]{2}$/.test(language))
    throw new RelevoError(QuestionBankErrorCode, `No question bank for "${language}"`);
  const url = new URL(`../config/trivia/${language}.json`, import.meta.url);
  let text: string;
  try {
    text = readFileSync(url, 'utf8');
  } catch (error) {
    throw new RelevoError(QuestionBankErrorCode, `No question bank for "${language}"`, { cause: error });
  }
  return parseQuestionBank(JSON.parse(text), url.pathname);
}
