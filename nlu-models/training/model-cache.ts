/**
 * Trained models cached on disk under a hash of everything that shaped them (training data,
 * settings, code version), so a restart loads in milliseconds instead of training again, and any
 * change to a corpus retrains automatically. Writes go through a temporary file and a rename, so two
 * processes starting together never read half a model.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bump when a change of code makes older cached models wrong. */
export const MODEL_FORMAT_VERSION = 6;

/** The hex SHA-256 of the JSON of `inputs` plus the model format version. */
export function hashInputs(inputs: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify({ version: MODEL_FORMAT_VERSION, inputs }))
    .digest('hex')
    .slice(0, 24);
}

/**
 * Returns the cached value for `inputs` from `directory`, or builds it with `build`, stores it and
 * returns it. A `directory` of null disables the cache. An unreadable cache file is rebuilt.
 */
export async function loadOrBuild<T>(
  directory: string | null,
  name: string,
  inputs: unknown,
  build: () => T | Promise<T>,
): Promise<{ value: T; fromCache: boolean; path: string | null }> {
  if (directory === null) return { value: await build(), fromCache: false, path: null };
  const path = join(directory, `${name}-${hashInputs(inputs)}.json`);
  try {
    return { value: JSON.parse(readFileSync(path, 'utf8')) as T, fromCache: true, path };
  } catch {
    // Missing or corrupt: train again below.
  }
  const value = await build();
  mkdirSync(directory, { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(value));
  renameSync(temporary, path);
  return { value, fromCache: false, path };
}
