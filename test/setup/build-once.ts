import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { NluRecognizer } from '../../nlu-models/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A build of the product made once for the run (`<dir>/bots/main.js` is what `npm start` runs). */
    relevoBuild: string;
  }
}

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
/** Not dist/: `npm run build` (test/bots/built-server.test.ts) may write there at the same time. */
const out = '.cache/test-build';

/**
 * Compiles the product once (tsc, ~4 s) for tests that start many server processes: a process started
 * from JavaScript spends about half the CPU of one compiled by tsx on the fly, file by file.
 */
export async function setup(project: TestProject): Promise<void> {
  await rm(`${root}${out}`, { recursive: true, force: true });
  await Promise.all([
    (async () => {
      await run(
        process.execPath,
        [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json', '--outDir', out],
        {
          cwd: root,
        },
      );
      await run(process.execPath, ['scripts/copy-assets.mjs', out], { cwd: root });
    })(),
    // The retail model in the on-disk cache, so no server trains it at start.
    NluRecognizer.create({}),
  ]);
  project.provide('relevoBuild', `${root}${out}`);
}
