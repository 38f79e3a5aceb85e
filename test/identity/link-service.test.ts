import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCode } from '../../core/errors.js';
import { IdentityErrorCode } from '../../identity/errors.js';
import { LinkService } from '../../identity/link-service.js';
import type { MemberStore } from '../../identity/member-store.js';
import { Members } from '../../identity/members.js';
import { MemoryMemberStore } from '../../identity/memory-member-store.js';
import { RedisMemberStore } from '../../identity/redis-member-store.js';
import { useRedis } from '../support/redis-fixture.js';
import { type CapturingSmtpServer, startSmtpServer } from '../support/smtp-server.js';

const redis = useRedis();
let smtp: CapturingSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.stop();
});

/** The code in the last mail that reached `to`. */
function lastCodeTo(to: string): string {
  const mail = smtp.received.filter((m) => m.envelopeTo.includes(to)).at(-1);
  const code = /\b(\d{6})\b/.exec(mail?.parsed.text ?? '')?.[1];
  if (!code) throw new Error(`no code mailed to ${to}`);
  return code;
}

const stores: [string, () => Promise<MemberStore>][] = [
  ['memory', async () => new MemoryMemberStore()],
  [
    'Redis',
    async () => new RedisMemberStore(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` }),
  ],
];

describe.each(stores)('linking an email address with a one-time code on %s', (_name, createStore) => {
  const setup = async () => {
    let now = Date.UTC(2026, 10, 22, 10);
    const clock = { now: () => now };
    const members = new Members({ store: await createStore(), clock });
    const link = new LinkService({ members, smtpUrl: smtp.url, from: 'Relevo <hello@relevo.test>' });
    const to = `${randomUUID().slice(0, 8)}@example.com`;
    return { members, link, to, advance: (ms: number) => (now += ms) };
  };

  it('mails a 6-digit code, and the right code makes the web chat visitor and the email one member', async () => {
    const { members, link, to } = await setup();
    const visitor = await members.resolve('webchat:anon-link');
    const { expiresAt } = await link.requestCode({ memberId: visitor.id, email: to.toUpperCase() });
    const mail = smtp.received.filter((m) => m.envelopeTo.includes(to)).at(-1);
    expect(mail?.parsed.subject).toBe('Your verification code');
    expect(mail?.parsed.text).toMatch(/Your code is \d{6}\. It expires in 10 minutes\./);
    expect(expiresAt - members.clock.now()).toBe(10 * 60_000);

    const { member, auditId } = await link.verifyCode({ memberId: visitor.id, code: lastCodeTo(to) });
    expect(auditId).toBeDefined();
    expect(member).toMatchObject({ isAnonymous: false, verifiedEmails: [to] });
    expect(member.identityKeys.sort()).toEqual([`email:${to}`, 'webchat:anon-link']);
    expect((await members.resolve(`email:${to}`)).id).toBe(member.id);
    expect((await members.resolve('webchat:anon-link')).id).toBe(member.id);
  });

  it('joins the visitor to the member who already wrote from that address, keeping their history', async () => {
    const { members, link, to } = await setup();
    const emailer = await members.resolve(`email:${to}`);
    await members.recordContact(emailer.id, {
      channel: 'email',
      channelId: 'email',
      conversationId: 'thread-1',
      at: members.clock.now(),
    });
    const visitor = await members.resolve('webchat:anon-2');
    await link.requestCode({ memberId: visitor.id, email: to });
    const { member } = await link.verifyCode({ memberId: visitor.id, code: lastCodeTo(to) });
    expect(member.id).toBe(emailer.id);
    expect(member.conversations.map((c) => c.conversationId)).toEqual(['thread-1']);
  });

  it('says how many tries are left, and voids the code after five wrong ones', async () => {
    const { members, link, to } = await setup();
    const visitor = await members.resolve('webchat:guesser');
    await link.requestCode({ memberId: visitor.id, email: to });
    const right = lastCodeTo(to);
    const wrong = right === '000000' ? '111111' : '000000';
    const left: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      await link.verifyCode({ memberId: visitor.id, code: wrong }).catch((error) => {
        if (hasCode(error, IdentityErrorCode.codeInvalid)) left.push(error.details?.triesLeft);
      });
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    await expect(link.verifyCode({ memberId: visitor.id, code: right })).rejects.toSatisfy((error) =>
      hasCode(error, IdentityErrorCode.codeMissing),
    );
    expect(await members.findByKey(`email:${to}`)).toBeUndefined();
  });

  it('refuses a code typed more than 10 minutes after it was sent', async () => {
    const { members, link, to, advance } = await setup();
    const visitor = await members.resolve('webchat:slow');
    await link.requestCode({ memberId: visitor.id, email: to });
    advance(10 * 60_000);
    await expect(link.verifyCode({ memberId: visitor.id, code: lastCodeTo(to) })).rejects.toSatisfy((error) =>
      hasCode(error, IdentityErrorCode.codeExpired),
    );
  });

  it('sends at most three codes per member in 15 minutes, and more once the window passed', async () => {
    const { members, link, to, advance } = await setup();
    const visitor = await members.resolve('webchat:eager');
    for (let i = 0; i < 3; i++) await link.requestCode({ memberId: visitor.id, email: `${i}-${to}` });
    await expect(link.requestCode({ memberId: visitor.id, email: to })).rejects.toSatisfy((error) =>
      hasCode(error, IdentityErrorCode.rateLimited),
    );
    advance(15 * 60_000);
    await expect(link.requestCode({ memberId: visitor.id, email: to })).resolves.toBeDefined();
  });

  it('does not let one address be flooded with codes by many visitors', async () => {
    const { members, link, to } = await setup();
    for (let i = 0; i < 3; i++) {
      await link.requestCode({ memberId: (await members.resolve(`webchat:v${i}`)).id, email: to });
    }
    const fourth = await members.resolve('webchat:v4');
    await expect(link.requestCode({ memberId: fourth.id, email: to })).rejects.toSatisfy((error) =>
      hasCode(error, IdentityErrorCode.rateLimited),
    );
  });

  it('refuses to link a sender a connector flagged as possibly forged, and blocked addresses', async () => {
    const { members, link, to } = await setup();
    const member = await members.resolve('email:maybe-forged@example.com');
    await expect(link.requestCode({ memberId: member.id, email: to, isSuspect: true })).rejects.toSatisfy(
      (error) => hasCode(error, IdentityErrorCode.suspectSender),
    );
    await expect(link.requestCode({ memberId: member.id, email: 'not-an-address' })).rejects.toSatisfy(
      (error) => hasCode(error, IdentityErrorCode.invalidEmail),
    );
  });
});
