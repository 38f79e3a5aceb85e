import { randomBytes } from 'node:crypto';

/** A fresh eTag: random, so two processes never mint the same one for different writes. */
export function newETag(): string {
  return randomBytes(9).toString('base64url');
}
