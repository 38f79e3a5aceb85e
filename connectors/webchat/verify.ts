import { createHmac, timingSafeEqual } from 'node:crypto';
import { remembered } from '../../core/bounded-memo.js';
import { DirectLineError } from './errors.js';

/** Lifetime of a Direct Line token, as Azure issues them. */
export const TOKEN_LIFETIME_MS = 30 * 60 * 1000;

/** What a token grants: one conversation, as one user. */
export interface TokenClaims {
  conversationId: string;
  userId: string;
  userName?: string | undefined;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

const PREFIX = 'rdl1';

/** Signs claims into a compact token: `rdl1.<payload>.<HMAC-SHA256>`, both base64url. */
export function signToken(claims: TokenClaims, key: Buffer): string {
  const payload = Buffer.from(
    JSON.stringify({ c: claims.conversationId, u: claims.userId, n: claims.userName, e: claims.expiresAt }),
  ).toString('base64url');
  return `${PREFIX}.${payload}.${mac(payload, key)}`;
}

/** Tokens {@link VerifiedTokens} keeps at most; a full memo starts afresh rather than grow. */
const VERIFIED_TOKENS = 10_000;

/**
 * Verifies tokens' signatures (under any of `keys`) and expiry. Forged or malformed tokens are 403
 * `Forbidden`; expired ones 403 `TokenExpired` (which directlinejs and Web Chat treat as "refresh or
 * restart"). A conversation's client presents the same token on every request until it expires, and
 * its HMAC, base64 and JSON were ~1.5 % of a message's CPU, so the tokens that passed are remembered:
 * only that exact string, with the key that signed it. A forged token (any other string) is checked in
 * full; a remembered one is checked in full again once its key is no longer among `keys`, and is
 * refused once it expired.
 */
export class VerifiedTokens {
  private readonly verified = new Map<string, { claims: TokenClaims; key: Buffer }>();

  verify(token: string, keys: readonly Buffer[], now: number): TokenClaims {
    const kept = this.verified.get(token);
    // Signed by a key no longer accepted: checked again under today's keys.
    if (kept && !keys.some((key) => key.equals(kept.key))) this.verified.delete(token);
    const entry = remembered(this.verified, VERIFIED_TOKENS, token, () => verifySigned(token, keys, now));
    if (entry.claims.expiresAt <= now) throw expiredToken();
    return { ...entry.claims };
  }
}

/** The claims of a token signed under one of `keys`, and that key; throws as {@link VerifiedTokens.verify}. */
function verifySigned(
  token: string,
  keys: readonly Buffer[],
  now: number,
): { claims: TokenClaims; key: Buffer } {
  const [prefix, payload, signature] = token.split('.');
  const key =
    prefix === PREFIX && payload && signature
      ? keys.find((candidate) => safeEqual(signature, mac(payload, candidate)))
      : undefined;
  if (key === undefined || !payload) throw new DirectLineError('Forbidden', 'The token is not valid');
  let parsed: { c?: unknown; u?: unknown; n?: unknown; e?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new DirectLineError('Forbidden', 'The token is not valid');
  }
  if (typeof parsed.c !== 'string' || typeof parsed.u !== 'string' || typeof parsed.e !== 'number') {
    throw new DirectLineError('Forbidden', 'The token is not valid');
  }
  if (parsed.e <= now) throw expiredToken();
  const claims: TokenClaims = {
    conversationId: parsed.c,
    userId: parsed.u,
    userName: typeof parsed.n === 'string' ? parsed.n : undefined,
    expiresAt: parsed.e,
  };
  return { claims, key };
}

function expiredToken(): DirectLineError {
  return new DirectLineError('TokenExpired', 'The token has expired; start a new conversation');
}

/** Compares a presented secret with the configured one in constant time. */
export function isSecret(presented: string, secret: string): boolean {
  return safeEqual(presented, secret);
}

/** The bearer credential of an `Authorization` header, or undefined. */
export function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function mac(payload: string, key: Buffer): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
