import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const fixture = (name: string) => new URL(`fixtures/${name}`, import.meta.url).pathname;

async function lastLine(script: string, args: string[]): Promise<Record<string, number | null>> {
  const { stdout } = await run('npx', ['tsx', `nlu-models/cli/${script}`, ...args], { timeout: 55_000 });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as Record<string, number | null>;
}

describe('evaluation CLIs', () => {
  it('nlu:eval prints its figures as one JSON object on the last line', async () => {
    const figures = await lastLine('nlu-eval.ts', [
      '--train',
      fixture('tiny.train.jsonl'),
      '--test',
      fixture('tiny.test.jsonl'),
    ]);
    expect(Object.keys(figures).sort()).toEqual([
      'accuracy',
      'inScopeAccuracy',
      'macroF1',
      'oosRecall',
      'utterancesPerSecond',
    ]);
    expect(figures.accuracy).toBeGreaterThanOrEqual(0.75);
    expect(figures.utterancesPerSecond).toBeGreaterThan(0);
  }, 60_000);

  it('nlu:eval trains on every file of a comma-separated --train', async () => {
    const { stdout } = await run(
      'npx',
      [
        'tsx',
        'nlu-models/cli/nlu-eval.ts',
        '--train',
        `${fixture('tiny.train.jsonl')},${fixture('tiny.train.jsonl')}`,
        '--test',
        fixture('tiny.test.jsonl'),
      ],
      { timeout: 55_000 },
    );
    expect(stdout).toMatch(/: 60 utterances, \d+ intents/);
  }, 60_000);

  it('nlu:eval refuses an out-of-scope rate outside [0, 1] with its usage and exit code 2', async () => {
    const failure = await run(
      'npx',
      [
        'tsx',
        'nlu-models/cli/nlu-eval.ts',
        '--train',
        fixture('tiny.train.jsonl'),
        '--oos-rate',
        '2',
        '--test',
        fixture('tiny.test.jsonl'),
      ],
      { timeout: 55_000 },
    ).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining('--oos-rate') });
  }, 60_000);

  it('nlu:cv prints k-fold, leave-one-out and unseen-intent figures of a training file on the last line', async () => {
    const figures = await lastLine('nlu-cv.ts', ['--train', fixture('tiny.train.jsonl'), '--seeds', '1']);
    expect(Object.keys(figures).sort()).toEqual([
      'kFoldAccuracy',
      'leaveOneOutAccuracy',
      'unseenIntentOosRecall',
    ]);
    expect(figures.kFoldAccuracy).toBeGreaterThanOrEqual(0.75);
    expect(figures.leaveOneOutAccuracy).toBeGreaterThanOrEqual(0.75);
  }, 60_000);

  it('nlu:cv refuses a negative --label-names-below with its reason and exit code 2', async () => {
    const failure = await run(
      'npx',
      [
        'tsx',
        'nlu-models/cli/nlu-cv.ts',
        '--train',
        fixture('tiny.train.jsonl'),
        '--label-names-below',
        '-1',
      ],
      { timeout: 55_000 },
    ).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining('--label-names-below') });
  }, 60_000);

  it('sentiment:eval prints negative recall and precision on the last line', async () => {
    const figures = await lastLine('sentiment-eval.ts', [
      '--test',
      fixture('complaints.en.jsonl'),
      '--lang',
      'en',
      '--train',
      fixture('complaints.es.jsonl'),
    ]);
    expect(Object.keys(figures).sort()).toEqual([
      'accuracy',
      'macroF1',
      'negativePrecision',
      'negativeRecall',
    ]);
    expect(figures.macroF1).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
