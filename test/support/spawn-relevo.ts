import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** A Relevo server process started from source, as `npm start` would run it. */
export interface RelevoProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the port once the server logs that it is listening. */
  listening(): Promise<number>;
  /** Resolves with the exit code once the process has exited. */
  exited(): Promise<number | null>;
  /**
   * SIGTERM, then SIGKILL if it has not exited within `graceMs`: a server draining towards a Redis
   * that is already gone would otherwise outlive the test run.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `bots/main.ts` from source, or with `{ built: true }` the compiled `dist/bots/main.js` as
 * `npm start` does (`built: '<folder>'`: a build made with another outDir, test/setup/build-once.ts),
 * or with `{ script }` another module from source (a test's own server process).
 */
export function spawnRelevo(
  env: Record<string, string>,
  options: { built?: boolean | string; script?: string } = {},
): RelevoProcess {
  const build = options.built === true ? 'dist' : options.built;
  const args = build ? [`${build}/bots/main.js`] : ['--import', 'tsx', options.script ?? 'bots/main.ts'];
  const child = spawn(process.execPath, ['--disable-warning=DEP0111', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    output: () => output,
    exited: () => exit,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(force);
    },
    listening: async () => {
      // Generous: a first start on a busy machine trains the NLU model before it listens.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const match = /"port":(\d+)[^\n]*Relevo is listening/.exec(output);
        if (match) return Number(match[1]);
        if (child.exitCode !== null) throw new Error(`Relevo exited early:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`Relevo did not start within 60 s:\n${output}`);
    },
  };
}
