import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES = [
  'analytics',
  'bench',
  'bots',
  'connectors',
  'core',
  'dialogs',
  'gamification',
  'handoff',
  'identity',
  'nlu-models',
  'scripts',
  'storage',
  'test',
];

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(join(root, folder), { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(ts|mts|js|mjs)$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

// The server's modules once it listens, and those of the channels it loads only when configured, as
// Node's CommonJS loader holds them (botbuilder is CommonJS).
const LOADED = `
import { createRequire } from 'node:module';
const { createRelevo } = await import('./bots/relevo.ts');
const { loadConfig } = await import('./bots/config.ts');
const { silentLogger } = await import('./core/logger.ts');
const relevo = await createRelevo({ config: loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }), logger: silentLogger });
await relevo.listen();
for (const channel of ['slack', 'twitter', 'email']) await import('./connectors/' + channel + '/index.ts');
process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
await relevo.close();
`;

/** Any import of the package or of one of its files: from, a bare import, import() or require(). */
const IMPORT = /(?:\bfrom|\bimport|\bimport\(|\brequire\()\s*['"`]botbuilder-dialogs(?:\/[^'"`]*)?['"`]/;
// The one module that imports it, and the test comparing Relevo's TextPrompt with the package's.
const ALLOWED = new Set(['dialogs/botbuilder-dialogs.ts', 'test/dialogs/prompt.test.ts']);

describe('botbuilder-dialogs through dialogs/botbuilder-dialogs.ts', () => {
  it('is imported by no other module, so its index and the recognizers it loads stay out', async () => {
    const files = (await Promise.all(SOURCES.map(sourceFiles))).flat();
    const importers: string[] = [];
    for (const file of files) {
      if (!ALLOWED.has(file) && IMPORT.test(await readFile(join(root, file), 'utf8'))) importers.push(file);
    }
    expect(files.length).toBeGreaterThan(300);
    expect(importers).toEqual([]);
  });

  it('a started server, with every channel’s modules, has loaded neither its index nor its prompts, whose choice helpers load the stock number, date, time and choice recognizers', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--disable-warning=DEP0111', '--import', 'tsx', '--input-type=module', '-e', LOADED],
      { cwd: root, timeout: 60_000, env: { PATH: process.env.PATH ?? '' } },
    );
    const loaded = JSON.parse(stdout) as string[];
    expect(loaded.some((file) => file.includes('/botbuilder-dialogs/lib/dialogSet.js'))).toBe(true);
    expect(
      loaded.filter((file) =>
        /botbuilder-dialogs\/lib\/(index|prompts\/prompt|choices\/index)\.js|recognizers-text/.test(file),
      ),
    ).toEqual([]);
  });
});
