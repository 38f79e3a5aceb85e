import { createHmac, timingSafeEqual } from 'node:crypto';
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

/**
 * Verifies a token's signature (under any of `keys`) and expiry. Forged or malformed tokens are 403
 * `Forbidden`; expired ones 403 `TokenExpired` (which directlinejs and Web Chat treat as "refresh or
 * restart").
 */
export function verifyToken(token: string, keys: Buffer | readonly Buffer[], now: number): TokenClaims {
  const [prefix, payload, signature] = token.split('.');
  const candidates = Buffer.isBuffer(keys) ? [keys] : keys;
  if (
    prefix !== PREFIX ||
    !payload ||
    !signature ||
    !candidates.some((key) => safeEqual(signature, mac(payload, key)))
  ) {
    throw new DirectLineError('Forbidden', 'The token is not valid');
  }
  let parsed: { c?: unknown; u?: unknown; n?: unknown; e?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new DirectLineError('Forbidden', 'The token is not valid');
  }
  if (typeof parsed.c !== 'string' || typeof parsed.u !== 'string' || typeof parsed.e !== 'number') {
    throw new DirectLineError('Forbidden', 'The token is not valid');
  }
  if (parsed.e <= now)
    throw new DirectLineError('TokenExpired', 'The token has expired; start a new conversation');
  return {
    conversationId: parsed.c,
    userId: parsed.u,
    userName: typeof parsed.n === 'string' ? parsed.n : undefined,
    expiresAt: parsed.e,
  };
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
