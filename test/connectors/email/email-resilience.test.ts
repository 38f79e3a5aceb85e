import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStores } from '../../../storage/stores.js';
import type { IdempotencyStore } from '../../../storage/types.js';
import { type DovecotServer, startDovecot } from '../../support/dovecot.js';
import { type CapturingSmtpServer, startSmtpServer } from '../../support/smtp-server.js';
import { type BotLog, echoBot, eventually, type Harness, rawMail, startChannel } from './harness.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

let dovecot: DovecotServer;
let smtp: CapturingSmtpServer;
const harnesses: Harness[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  [dovecot, smtp] = await Promise.all([
    startDovecot(['batch', 'resync', 'outage', 'idle', 'resend']),
    startSmtpServer(),
  ]);
});

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.channel.close()));
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all([dovecot?.stop(), smtp?.stop()]);
});

function repliesTo(address: string) {
  return smtp.received.filter((mail) => mail.envelopeTo.includes(address));
}

/** How many replies answer each inbound Message-ID. */
function answersPerMessage(address: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const mail of repliesTo(address)) {
    const id = mail.parsed.inReplyTo ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** The IMAP URL of `user` through a proxy in front of Dovecot. */
function proxiedUrl(user: string, proxy: TcpProxy): string {
  const url = new URL(dovecot.url(user));
  url.port = String(proxy.port);
  return url.toString();
}

describe('email channel resilience', () => {
  it('answers every one of 200 messages exactly once when restarted mid-batch, and again after a lost checkpoint', async () => {
    const customer = 'batch@example.com';
    const stores = await createStores();
    const first = await startChannel(dovecot, smtp, 'batch', echoBot({ activities: [] }), { stores });
    const raws = Array.from({ length: 200 }, (_, i) =>
      rawMail({
        from: customer,
        subject: `Question ${i}`,
        messageId: `<batch-${i}@example.com>`,
        text: `question ${i}`,
      }),
    );
    await dovecot.appendMany('batch', raws);
    await eventually(() => repliesTo(customer).length >= 50, 20_000);
    // Shut down mid-batch, as a deploy would: the turn in hand completes, the rest waits in the mailbox.
    await first.channel.close();
    const answeredBeforeRestart = repliesTo(customer).length;
    expect(answeredBeforeRestart).toBeLessThan(200);

    const second = await startChannel(dovecot, smtp, 'batch', echoBot({ activities: [] }), { stores });
    harnesses.push(second);
    await eventually(() => repliesTo(customer).length >= 200, 30_000);
    await second.channel.close();

    // A crash after the replies were sent but before the checkpoint was saved: the checkpoint lags.
    await second.channel.adapter.checkpoints.overwrite({
      uidValidity: await dovecot.uidValidity('batch'),
      lastUid: 120,
    });
    const third = await startChannel(dovecot, smtp, 'batch', echoBot({ activities: [] }), { stores });
    harnesses.push(third);
    await eventually(async () => (await third.channel.adapter.checkpoints.read())?.lastUid === 200);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const counts = answersPerMessage(customer);
    expect(repliesTo(customer)).toHaveLength(200);
    expect(counts.size).toBe(200);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect((await dovecot.flags('batch', 200)).has('\\Seen')).toBe(true);
  }, 60_000);

  it('after a UIDVALIDITY change resyncs the mailbox and answers only what it had not answered', async () => {
    const customer = 'resync@example.com';
    const stores = await createStores();
    const log: BotLog = { activities: [] };
    const before = await startChannel(dovecot, smtp, 'resync', echoBot(log), { stores });
    const uids: number[] = [];
    for (let i = 0; i < 3; i++)
      uids.push(
        await dovecot.append('resync', rawMail({ from: customer, messageId: `<r${i}@x>`, text: `old ${i}` })),
      );
    await eventually(() => repliesTo(customer).length === 3);
    await before.channel.close();

    // The mailbox is rebuilt: new UIDVALIDITY, and (as a restore often does) the \Seen flags are gone.
    await dovecot.changeUidValidity('resync', 4242);
    await dovecot.unsee('resync', uids);
    await dovecot.append('resync', rawMail({ from: customer, messageId: '<r-new@x>', text: 'new question' }));

    const after = await startChannel(dovecot, smtp, 'resync', echoBot(log), { stores });
    harnesses.push(after);
    await eventually(() => repliesTo(customer).length >= 4);
    await eventually(async () => (await after.channel.adapter.checkpoints.read())?.uidValidity === '4242');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(repliesTo(customer).map((mail) => mail.parsed.inReplyTo)).toEqual([
      '<r0@x>',
      '<r1@x>',
      '<r2@x>',
      '<r-new@x>',
    ]);
    expect(log.activities.at(-1)?.id).toBe(`4242:${uids.length + 1}`);
  });

  it('reconnects with backoff when the IMAP server goes away, and answers the mail that came meanwhile', async () => {
    const customer = 'outage@example.com';
    const proxy = await startTcpProxy(dovecot.port);
    proxies.push(proxy);
    const harness = await startChannel(dovecot, smtp, 'outage', echoBot({ activities: [] }), {
      imapUrl: proxiedUrl('outage', proxy),
      reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
    });
    harnesses.push(harness);
    await dovecot.append('outage', rawMail({ from: customer, messageId: '<out-1@x>', text: 'before' }));
    await eventually(() => repliesTo(customer).length === 1);
    expect(harness.channel.health()).toEqual({ status: 'on', detail: 'IMAP connected' });

    proxy.goDown();
    await eventually(() => harness.channel.health().detail === 'IMAP reconnecting');
    await dovecot.append('outage', rawMail({ from: customer, messageId: '<out-2@x>', text: 'during' }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Backoff: 50, 100, 200, 400, 400… ms (with jitter) is a handful of attempts in 1.5 s, not hundreds.
    expect(proxy.refusedAttempts).toBeGreaterThanOrEqual(3);
    expect(proxy.refusedAttempts).toBeLessThanOrEqual(12);
    expect(repliesTo(customer)).toHaveLength(1);

    proxy.goUp();
    await eventually(() => repliesTo(customer).length === 2);
    expect(repliesTo(customer)[1]?.parsed.inReplyTo).toBe('<out-2@x>');
    expect(harness.channel.health().detail).toBe('IMAP connected');
  });

  it('re-issues IDLE at the configured interval and still hears new mail', async () => {
    const customer = 'idle@example.com';
    const proxy = await startTcpProxy(dovecot.port);
    proxies.push(proxy);
    const harness = await startChannel(dovecot, smtp, 'idle', echoBot({ activities: [] }), {
      imapUrl: proxiedUrl('idle', proxy),
      idleRestartMs: 250,
    });
    harnesses.push(harness);
    await eventually(() => proxy.idleCommands >= 1);
    const start = proxy.idleCommands;
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    // 1.3 s at one IDLE per 250 ms: about five re-issues (RFC 2177 asks for one at least every 29 minutes).
    expect(proxy.idleCommands - start).toBeGreaterThanOrEqual(3);
    await dovecot.append('idle', rawMail({ from: customer, messageId: '<idle-1@x>', text: 'still there?' }));
    await eventually(() => repliesTo(customer).length === 1);
  });

  it('sends a reply again under the same Message-ID when its run died before recording it, so mail programs show it once', async () => {
    const customer = 'resend@example.com';
    const stores = await createStores();
    // The run is cut between the SMTP server's acceptance and our record of it: the record fails, then
    // the turn fails, and the queue runs it again.
    let recordsRefused = 0;
    const idempotency: IdempotencyStore = {
      claim: (key, ttlMs, value) => {
        if (key.startsWith('reply:') && recordsRefused === 0) {
          recordsRefused += 1;
          return Promise.reject(new Error('connection lost'));
        }
        return stores.idempotency.claim(key, ttlMs, value);
      },
      valueOf: (key) => stores.idempotency.valueOf(key),
      release: (key) => stores.idempotency.release(key),
    };
    let runs = 0;
    const harness = await startChannel(
      dovecot,
      smtp,
      'resend',
      async (context) => {
        if (context.activity.type !== 'message') return;
        runs += 1;
        await context.sendActivity(`Your order ships tomorrow (run ${runs}).`);
        await context.sendActivity('Anything else?');
        if (runs === 1) throw new Error('killed');
      },
      { stores: { ...stores, idempotency } },
    );
    harnesses.push(harness);
    await dovecot.append(
      'resend',
      rawMail({ from: customer, messageId: '<resend-1@x>', text: 'where is it?' }),
    );
    await eventually(() => runs === 2 && repliesTo(customer).length === 3);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const [first, second, again] = repliesTo(customer).map((mail) => mail.parsed);
    expect(recordsRefused).toBe(1);
    expect(first?.text).toContain('run 1');
    expect(second?.text).toContain('Anything else?');
    // Sent again by the second run, under the first's Message-ID; "Anything else?" was recorded, so not again.
    expect(again?.text).toContain('run 2');
    expect(again?.messageId).toBe(first?.messageId);
    expect(second?.messageId).not.toBe(first?.messageId);
    expect(first?.messageId).toMatch(/^<[\w-]{32}@relevo\.test>$/);
    expect(repliesTo(customer)).toHaveLength(3);
  });
});
