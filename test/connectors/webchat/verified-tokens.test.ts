import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DirectLineError } from '../../../connectors/webchat/errors.js';
import { signToken, type TokenClaims, VerifiedTokens } from '../../../connectors/webchat/verify.js';

const NOW = Date.UTC(2026, 10, 23, 8);
const claims: TokenClaims = {
  conversationId: 'c-1',
  userId: 'webchat:u-1',
  userName: 'Ana',
  expiresAt: NOW + 60_000,
};

function codeOf(verify: () => unknown): string | undefined {
  try {
    verify();
  } catch (error) {
    if (error instanceof DirectLineError) return error.directLineCode;
    throw error;
  }
  return undefined;
}

describe('VerifiedTokens (Direct Line tokens, remembered once verified)', () => {
  it('answers a remembered token with its claims, and a copy a caller cannot change for the next', () => {
    const key = randomBytes(32);
    const tokens = new VerifiedTokens();
    const token = signToken(claims, key);
    const first = tokens.verify(token, [key], NOW);
    first.conversationId = 'changed';
    expect(tokens.verify(token, [key], NOW)).toEqual(claims);
  });

  it('still refuses a forged token after the genuine one was remembered', () => {
    const key = randomBytes(32);
    const tokens = new VerifiedTokens();
    const token = signToken(claims, key);
    tokens.verify(token, [key], NOW);
    const [prefix, , signature] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ c: 'c-2', u: 'webchat:u-1', e: NOW + 60_000 })).toString(
      'base64url',
    );
    expect(codeOf(() => tokens.verify(`${prefix}.${payload}.${signature}`, [key], NOW))).toBe('Forbidden');
    expect(codeOf(() => tokens.verify(signToken(claims, randomBytes(32)), [key], NOW))).toBe('Forbidden');
  });

  it('refuses a remembered token once it expired', () => {
    const key = randomBytes(32);
    const tokens = new VerifiedTokens();
    const token = signToken(claims, key);
    tokens.verify(token, [key], NOW);
    expect(codeOf(() => tokens.verify(token, [key], claims.expiresAt))).toBe('TokenExpired');
  });

  it('refuses a remembered token once the key that signed it is no longer a verification key', () => {
    const [old, current] = [randomBytes(32), randomBytes(32)];
    const tokens = new VerifiedTokens();
    const token = signToken(claims, old);
    expect(tokens.verify(token, [current, old], NOW)).toEqual(claims);
    expect(codeOf(() => tokens.verify(token, [current], NOW))).toBe('Forbidden');
    // The same key read again from Redis is another Buffer with the same bytes: still accepted.
    expect(tokens.verify(token, [current, Buffer.from(old)], NOW)).toEqual(claims);
  });
});
