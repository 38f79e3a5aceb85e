import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { HandoffErrorCode, handoffError } from './errors.js';

/** Roles of the desk: a supervisor may also act on conversations other agents hold. */
export type AgentRole = 'agent' | 'supervisor';

/** One agent who may log in to the console (from the `AGENT_ACCOUNTS` configuration). */
export interface AgentAccount {
  id: string;
  name: string;
  role: AgentRole;
  /** `scrypt$N$r$p$<salt base64url>$<hash base64url>`, as {@link hashAgentPassword} makes it. */
  passwordHash: string;
  languages: string[];
  topics: string[];
  maxChats: number;
}

const accountSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'letters, digits, . _ @ - (at most 64)'),
  name: z.string().min(1).max(100),
  role: z.enum(['agent', 'supervisor']).default('agent'),
  passwordHash: z
    .string()
    .regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/, 'scrypt$N$r$p$salt$hash'),
  languages: z.array(z.string()).default([]),
  topics: z.array(z.string()).default([]),
  maxChats: z.number().int().min(1).max(50).default(3),
});

/**
 * Parses the `AGENT_ACCOUNTS` value: a JSON array of `{id, name, role?, passwordHash, languages?,
 * topics?, maxChats?}`. Throws `RELEVO_HANDOFF_ACCOUNTS` naming the first bad entry, so a bad
 * configuration fails at start, not at the first login.
 */
export function parseAgentAccounts(json: string): AgentAccount[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw handoffError(HandoffErrorCode.accounts, 'AGENT_ACCOUNTS is not valid JSON', 500);
  }
  const parsed = z.array(accountSchema).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw handoffError(
      HandoffErrorCode.accounts,
      `AGENT_ACCOUNTS: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is invalid'}`.trim(),
      500,
    );
  }
  const ids = new Set<string>();
  for (const account of parsed.data) {
    if (ids.has(account.id))
      throw handoffError(HandoffErrorCode.accounts, `AGENT_ACCOUNTS: "${account.id}" twice`, 500);
    ids.add(account.id);
  }
  return parsed.data;
}

function scryptAsync(
  password: string,
  salt: Buffer,
  length: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * Hashes a password with scrypt (RFC 7914) and a random salt. The default cost N=2^15, r=8, p=1 is
 * OWASP's recommended minimum; tests pass a lower N to stay fast. The cost is stored in the hash, so
 * raising it later keeps old hashes valid.
 */
export async function hashAgentPassword(password: string, cost: { N?: number } = {}): Promise<string> {
  const N = cost.N ?? 2 ** 15;
  const r = 8;
  const p = 1;
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32, { N, r, p, maxmem: 256 * N * r });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Checks a password against a {@link hashAgentPassword} hash in constant time. */
export async function verifyAgentPassword(password: string, passwordHash: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = passwordHash.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const N = Number(n);
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N,
    r: Number(r),
    p: Number(p),
    maxmem: 256 * N * Number(r),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
