/**
 * A tiny `--name value` argument reader for the evaluation CLIs: they take three or four options,
 * which does not justify a dependency.
 */
import { RelevoError } from '../../core/errors.js';

/** Reads `--name value` pairs; throws on a flag without value or an unknown flag. */
export function parseArgs(argv: readonly string[], known: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i] as string;
    if (flag === '--') continue;
    const name = flag.replace(/^--/, '');
    const value = argv[i + 1];
    if (!flag.startsWith('--') || !known.includes(name)) {
      throw new RelevoError(
        'RELEVO_CLI_USAGE',
        `Unknown argument ${flag}; expected ${known.map((k) => `--${k}`).join(', ')}`,
      );
    }
    if (value === undefined || value.startsWith('--')) {
      throw new RelevoError('RELEVO_CLI_USAGE', `${flag} needs a value`);
    }
    values.set(name, value);
    i += 1;
  }
  return values;
}

/** Formats rows as an aligned plain-text table. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A fraction as a percentage with one decimal. */
export function percent(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

/** A `yes` / `no` option (absent = `fallback`); anything else is a usage error. */
export function yesNo(args: ReadonlyMap<string, string>, name: string, fallback = false): boolean {
  const value = args.get(name);
  if (value === undefined) return fallback;
  if (value !== 'yes' && value !== 'no') {
    throw new RelevoError('RELEVO_CLI_USAGE', `--${name} takes yes or no`);
  }
  return value === 'yes';
}

/** A whole number ≥ 0 option (absent = undefined); anything else is a usage error. */
export function count(args: ReadonlyMap<string, string>, name: string): number | undefined {
  const value = args.get(name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new RelevoError('RELEVO_CLI_USAGE', `--${name} takes a whole number ≥ 0`);
  }
  return parsed;
}

/**
 * Runs a CLI's `main`: a usage mistake (`RELEVO_CLI_USAGE`) prints its reason and exits with code 2,
 * like the CLIs' own usage checks, instead of a stack trace.
 */
export async function runCli(main: () => void | Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (!(error instanceof RelevoError && error.code === 'RELEVO_CLI_USAGE')) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
  }
}
