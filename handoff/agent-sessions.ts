import { createHash, randomBytes } from 'node:crypto';
import type { Storage } from 'botbuilder';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { hasCode } from '../core/errors.js';
import { StorageErrorCode } from '../storage/errors.js';
import { type AgentAccount, verifyAgentPassword } from './agent-accounts.js';
import { HandoffErrorCode, handoffError } from './errors.js';

export interface AgentSessionsOptions {
  storage: Storage;
  accounts: readonly AgentAccount[];
  clock?: Clock;
  /** Session lifetime (default 8 h: one shift). */
  sessionTtlMs?: number;
  /** Failed logins in a row that lock an account (default 5). */
  maxFailures?: number;
  /** How long a locked account stays locked (default 15 min). */
  lockoutMs?: number;
}

/** A logged-in agent and the CSRF token their state-changing requests must echo. */
export interface AgentSession {
  account: AgentAccount;
  csrfToken: string;
  expiresAt: number;
}

interface StoredSession {
  agentId: string;
  csrfToken: string;
  expiresAt: number;
}

interface LoginFailures {
  failures: number;
  lockedUntil: number;
  eTag?: string;
}

/** Only a hash of the session token is stored: a leaked storage dump logs nobody in. */
const sessionKey = (token: string) => `handoff/session/${createHash('sha256').update(token).digest('hex')}`;
const failuresKey = (agentId: string) => `handoff/login-failures/${agentId}`;

/**
 * Agent logins and sessions in storage (so every process knows them): scrypt password checks, a
 * lockout after `maxFailures` failed attempts in a row, random 256-bit session tokens for an HTTP-only
 * cookie, and a per-session CSRF token.
 */
export class AgentSessions {
  private readonly clock: Clock;
  private readonly byId: Map<string, AgentAccount>;

  constructor(private readonly options: AgentSessionsOptions) {
    this.clock = options.clock ?? systemClock;
    this.byId = new Map(options.accounts.map((account) => [account.id, account]));
  }

  account(agentId: string): AgentAccount | undefined {
    return this.byId.get(agentId);
  }

  get accounts(): readonly AgentAccount[] {
    return this.options.accounts;
  }

  /** Logs an agent in; resolves with the session token (for the cookie) and the session. */
  async login(agentId: string, password: string): Promise<{ token: string; session: AgentSession }> {
    const now = this.clock.now();
    const key = failuresKey(agentId);
    const failures = ((await this.options.storage.read([key]))[key] as LoginFailures | undefined) ?? {
      failures: 0,
      lockedUntil: 0,
    };
    if (failures.lockedUntil > now) {
      throw handoffError(HandoffErrorCode.lockedOut, 'Too many failed logins: try again later', 429, {
        retryAfterSeconds: Math.ceil((failures.lockedUntil - now) / 1000),
      });
    }
    const account = this.byId.get(agentId);
    // Hash even for unknown ids, so timing does not tell which ids exist.
    const ok = await verifyAgentPassword(password, account?.passwordHash ?? DUMMY_HASH);
    if (!account || !ok) {
      await this.recordFailure(key, now);
      throw handoffError(HandoffErrorCode.unauthorized, 'Wrong agent id or password', 401);
    }
    if (failures.failures > 0) await this.options.storage.delete([key]);
    const token = randomBytes(32).toString('base64url');
    const session: StoredSession = {
      agentId,
      csrfToken: randomBytes(24).toString('base64url'),
      expiresAt: now + (this.options.sessionTtlMs ?? 8 * 60 * 60 * 1000),
    };
    await this.options.storage.write({ [sessionKey(token)]: session });
    return { token, session: { account, csrfToken: session.csrfToken, expiresAt: session.expiresAt } };
  }

  /** The session of a cookie token, or `undefined` when unknown or expired. */
  async resolve(token: string): Promise<AgentSession | undefined> {
    if (!token) return undefined;
    const stored = (await this.options.storage.read([sessionKey(token)]))[sessionKey(token)] as
      | StoredSession
      | undefined;
    if (!stored || stored.expiresAt <= this.clock.now()) return undefined;
    const account = this.byId.get(stored.agentId);
    return account ? { account, csrfToken: stored.csrfToken, expiresAt: stored.expiresAt } : undefined;
  }

  async logout(token: string): Promise<void> {
    await this.options.storage.delete([sessionKey(token)]);
  }

  private async recordFailure(key: string, now: number): Promise<void> {
    const maxFailures = this.options.maxFailures ?? 5;
    for (let attempt = 1; attempt <= 5; attempt++) {
      const current = (await this.options.storage.read([key]))[key] as LoginFailures | undefined;
      const failures =
        (current && current.lockedUntil <= now && current.lockedUntil > 0 ? 0 : (current?.failures ?? 0)) + 1;
      const next: LoginFailures = {
        ...(current?.eTag ? { eTag: current.eTag } : {}),
        failures: failures >= maxFailures ? 0 : failures,
        lockedUntil: failures >= maxFailures ? now + (this.options.lockoutMs ?? 15 * 60 * 1000) : 0,
      };
      try {
        await this.options.storage.write({ [key]: next });
        return;
      } catch (error) {
        if (!hasCode(error, StorageErrorCode.conflict)) throw error;
      }
    }
  }
}

// A valid hash of a random password at the lowest cost any account may use.
const DUMMY_HASH = `scrypt$16384$8$1$${'A'.repeat(22)}$${'A'.repeat(43)}`;
