import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { createTransport } from 'nodemailer';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { redactUrl } from '../core/redact-url.js';
import { IdentityErrorCode, identityError } from './errors.js';
import { isBlockedValue } from './identity-rules.js';
import type { MemberRecord } from './member-record.js';
import type { Members } from './members.js';
import { mergeMembers } from './merge.js';

/** At most `count` requests per `windowMs` (fixed windows on the injected clock). */
export interface RateLimit {
  count: number;
  windowMs: number;
}

export interface LinkServiceOptions {
  members: Members;
  /** `smtp://user:pass@host:port` or `smtps://…`, as nodemailer reads it (the `SMTP_URL` setting). */
  smtpUrl: string;
  /** Sender of the code emails (the `EMAIL_FROM` setting). */
  from: string;
  /** How long a code is valid; 10 minutes by default. */
  codeTtlMs?: number;
  /** Wrong guesses before a code is void; 5 by default. */
  maxTries?: number;
  /** Codes one member may request; 3 per 15 minutes by default. */
  perMember?: RateLimit;
  /** Codes one address may receive, whoever asks; 3 per hour by default. */
  perAddress?: RateLimit;
  /** Injected for exact tests (STYLE.md rule 8): a whole number in [0, max). */
  randomInt?: (max: number) => number;
  logger?: Logger;
}

/** What {@link LinkService.verifyCode} did: the member the customer is now, and the merge audit if any. */
export interface LinkResult {
  member: MemberRecord;
  auditId: string | undefined;
}

interface PendingCode {
  email: string;
  nonce: string;
  codeHash: string;
  expiresAt: number;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Links a member to an email address with proof: {@link requestCode} emails a 6-digit one-time code
 * (valid 10 minutes, 5 tries, rate-limited per member and per address); {@link verifyCode} with the
 * right code merges the member into the one owning `email:<address>` (created if none), audited, so
 * the customer is one member on every channel. Codes are stored hashed, never in clear.
 */
export class LinkService {
  private readonly members: Members;
  private readonly transport: ReturnType<typeof createTransport>;
  private readonly from: string;
  private readonly codeTtlMs: number;
  private readonly maxTries: number;
  private readonly perMember: RateLimit;
  private readonly perAddress: RateLimit;
  private readonly randomInt: (max: number) => number;
  private readonly logger: Logger;
  private readonly smtpUrl: string;

  constructor(options: LinkServiceOptions) {
    this.members = options.members;
    this.transport = createTransport(options.smtpUrl);
    this.smtpUrl = options.smtpUrl;
    this.from = options.from;
    this.codeTtlMs = options.codeTtlMs ?? 10 * 60_000;
    this.maxTries = options.maxTries ?? 5;
    this.perMember = options.perMember ?? { count: 3, windowMs: 15 * 60_000 };
    this.perAddress = options.perAddress ?? { count: 3, windowMs: 60 * 60_000 };
    this.randomInt = options.randomInt ?? ((max) => randomInt(max));
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Emails a new code to `email` for the member, replacing any earlier code. Refuses a suspect sender
   * (403), a malformed or blocked address (400), and too many requests (429).
   */
  async requestCode(request: {
    memberId: string;
    email: string;
    isSuspect?: boolean;
  }): Promise<{ expiresAt: number }> {
    const email = request.email.trim().toLowerCase();
    if (!EMAIL.test(email) || isBlockedValue(email, this.members.rules)) {
      throw identityError(IdentityErrorCode.invalidEmail, 'That does not look like an email address', 400);
    }
    if (request.isSuspect) {
      throw identityError(
        IdentityErrorCode.suspectSender,
        'This sender could not be verified; no linking',
        403,
      );
    }
    const member = await this.members.require(request.memberId);
    await this.limit(`link-member:${member.id}`, this.perMember);
    await this.limit(`link-address:${sha256(email)}`, this.perAddress);
    const code = String(this.randomInt(1_000_000)).padStart(6, '0');
    const nonce = randomUUID();
    const expiresAt = this.members.clock.now() + this.codeTtlMs;
    const pending: PendingCode = { email, nonce, codeHash: sha256(`${nonce}:${code}`), expiresAt };
    await this.members.store.putSecret(`link:${member.id}`, { ...pending }, this.codeTtlMs);
    try {
      await this.transport.sendMail({
        from: this.from,
        to: email,
        subject: member.profile.language === 'es' ? 'Tu código de verificación' : 'Your verification code',
        text: codeText(code, this.codeTtlMs, member.profile.language),
      });
    } catch (error) {
      await this.members.store.deleteSecret(`link:${member.id}`);
      this.logger.error({ err: error, smtp: redactUrl(this.smtpUrl) }, 'could not send a link code');
      throw identityError(IdentityErrorCode.codeNotSent, 'The code could not be sent; try again later', 502);
    }
    return { expiresAt };
  }

  /**
   * Checks a code the member typed. Right: the member is merged into the verified member of that
   * address (or just marked verified if it already owns it). Wrong: 400 with the tries left; after
   * the last try, or past expiry, the code is void and a new one must be requested.
   */
  async verifyCode(request: { memberId: string; code: string; isSuspect?: boolean }): Promise<LinkResult> {
    if (request.isSuspect) {
      throw identityError(
        IdentityErrorCode.suspectSender,
        'This sender could not be verified; no linking',
        403,
      );
    }
    const name = `link:${request.memberId}`;
    const pending = (await this.members.store.getSecret(name)) as PendingCode | undefined;
    if (!pending) throw identityError(IdentityErrorCode.codeMissing, 'Ask for a code first', 404);
    if (this.members.clock.now() >= pending.expiresAt) {
      await this.members.store.deleteSecret(name);
      throw identityError(IdentityErrorCode.codeExpired, 'That code expired; ask for a new one', 410);
    }
    // Counting tries atomically per code means parallel guesses cannot get more than maxTries.
    const tries = await this.members.store.hit(`link-tries:${pending.nonce}`, this.codeTtlMs);
    if (tries > this.maxTries) {
      await this.members.store.deleteSecret(name);
      throw identityError(IdentityErrorCode.codeLocked, 'Too many wrong codes; ask for a new one', 429);
    }
    const typed = Buffer.from(sha256(`${pending.nonce}:${request.code.replace(/\s/g, '')}`));
    if (!timingSafeEqual(typed, Buffer.from(pending.codeHash))) {
      const triesLeft = this.maxTries - tries;
      if (triesLeft === 0) await this.members.store.deleteSecret(name);
      throw identityError(IdentityErrorCode.codeInvalid, 'That code is not right', 400, { triesLeft });
    }
    await this.members.store.deleteSecret(name);
    return this.link(request.memberId, pending.email);
  }

  /** Closes the SMTP transport. */
  close(): void {
    this.transport.close();
  }

  private async link(memberId: string, email: string): Promise<LinkResult> {
    const emailKey = `email:${email}`;
    const owner =
      (await this.members.findByKey(emailKey)) ?? (await this.members.createForKey(emailKey, false));
    const verify = (record: MemberRecord) =>
      record.verifiedEmails.includes(email) && !record.isAnonymous
        ? undefined
        : { ...record, isAnonymous: false, verifiedEmails: [...new Set([...record.verifiedEmails, email])] };
    await this.members.update(owner.id, verify);
    let auditId: string | undefined;
    if (owner.id !== memberId) {
      const audit = await mergeMembers(this.members, {
        fromMemberId: memberId,
        toMemberId: owner.id,
        actor: 'link-code',
        reason: 'proved the email address with a one-time code',
      });
      auditId = audit.id;
    }
    const at = this.members.clock.now();
    await this.members.events.emit('member.verified', { memberId: owner.id, email, at });
    return { member: await this.members.require(owner.id), auditId };
  }

  private async limit(counter: string, limit: RateLimit): Promise<void> {
    const window = Math.floor(this.members.clock.now() / limit.windowMs);
    const count = await this.members.store.hit(`${counter}:${window}`, limit.windowMs);
    if (count > limit.count) {
      throw identityError(IdentityErrorCode.rateLimited, 'Too many codes asked for; try again later', 429, {
        retryAfterMs: (window + 1) * limit.windowMs - this.members.clock.now(),
      });
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function codeText(code: string, ttlMs: number, language: string | undefined): string {
  const minutes = Math.round(ttlMs / 60_000);
  return language === 'es'
    ? `Tu código es ${code}. Caduca en ${minutes} minutos.\n\nSi no lo has pedido, ignora este mensaje.\n`
    : `Your code is ${code}. It expires in ${minutes} minutes.\n\nIf you did not ask for it, ignore this message.\n`;
}
