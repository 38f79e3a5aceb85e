import { randomBytes } from 'node:crypto';

// A random 64-bit prefix per process and a counter: two processes never mint the same eTag (as with
// 72 random bits per eTag before), without a `randomBytes` call per write (~1 % of a turn's CPU).
const processPrefix = randomBytes(8).toString('base64url');
let minted = 0;

/** A fresh eTag: never the same twice in this process, and another process's prefix differs. */
export function newETag(): string {
  minted += 1;
  return processPrefix + minted.toString(36);
}
