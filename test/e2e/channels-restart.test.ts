import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';
import { type FakeSlack, FAKE_SLACK_BOT, signedSlackRequest, startFakeSlack } from '../support/fake-slack.js';
import { dmEventBody, type FakeX, signedXRequest, startFakeX } from '../support/fake-x.js';
import { type CapturingSmtpServer, startSmtpServer } from '../support/smtp-server.js';
import { type RelevoProcess, spawnRelevo } from '../support/spawn-relevo.js';
import { rawMail } from '../connectors/email/harness.js';

const SLACK_SECRET = 'restart-slack-signing-secret';
const X_SECRET = 'restart-x-consumer-secret';
const OUR_ID = '1000000000000000001';
const ANA = '2000000000000000002';
const X_DMS = '/2/dm_conversations/';

/** A Bot Connector on loopback (the Emulator's): records the replies it answered; `held` ones it never answers. */
interface FakeConnector {
  url: string;
  server: Server;
  held: boolean;
  requests: number;
  replies: string[];
}

async function startConnector(): Promise<FakeConnector> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    fake.requests++;
    if (fake.held) return;
    fake.replies.push(
      String((JSON.parse(Buffer.concat(chunks).toString() || '{}') as { text?: unknown }).text),
    );
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: `reply-${fake.replies.length}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const fake: FakeConnector = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    held: false,
    requests: 0,
    replies: [],
  };
  return fake;
}

let slack: FakeSlack;
let x: FakeX;
let connector: FakeConnector;
let dovecot: DovecotServer;
let smtp: CapturingSmtpServer;
const started: RelevoProcess[] = [];

beforeAll(async () => {
  [slack, x, connector, dovecot, smtp] = await Promise.all([
    startFakeSlack(),
    startFakeX(OUR_ID),
    startConnector(),
    startDovecot(['restart']),
    startSmtpServer(),
  ]);
});

afterAll(async () => {
  await Promise.all(started.map((each) => each.stop()));
  await Promise.all([slack?.close(), x?.close(), dovecot?.stop(), smtp?.stop()]);
  connector?.server.closeAllConnections();
  connector?.server.close();
});

function slackDm(text: string, eventId: string): string {
  return JSON.stringify({
    team_id: FAKE_SLACK_BOT.team,
    api_app_id: 'A0RELEVO',
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    event: {
      type: 'message',
      channel: 'D0RESTART',
      channel_type: 'im',
      user: 'U0ANA',
      team: FAKE_SLACK_BOT.team,
      text,
      ts: '1700000100.000100',
    },
  });
}

/** Reply texts that were sent more than once. */
const repeated = (texts: string[]) => texts.filter((text, i) => texts.indexOf(text) !== i);

describe('Slack, X, Bot Framework and email messages of a server process killed mid-turn', () => {
  it('are answered exactly once by the restarted process, and their re-deliveries are recognised', async () => {
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: `restart-${randomUUID().slice(0, 8)}`,
      INBOUND_VISIBILITY_MS: '1000',
      SLACK_SIGNING_SECRET: SLACK_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-restart',
      SLACK_API_URL: slack.url,
      X_CONSUMER_KEY: 'ck',
      X_CONSUMER_SECRET: X_SECRET,
      X_ACCESS_TOKEN: 'at',
      X_ACCESS_SECRET: 'as',
      X_USER_ID: OUR_ID,
      X_API_URL: x.url,
      NODE_EXTRA_CA_CERTS: x.caPath,
      IMAP_URL: dovecot.url('restart'),
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'support@relevo.test',
    };
    const first = spawnRelevo(env);
    started.push(first);
    const firstBase = `http://127.0.0.1:${await first.listening()}`;

    // Slack, X and the Bot Connector take the replies' requests but never answer: the turns are stuck
    // mid-send.
    slack.hold('chat.postMessage', true);
    x.hold(X_DMS, true);
    connector.held = true;
    smtp.hold(true);
    const slackBody = slackDm('hello', 'EvRESTART1');
    const xBody = dmEventBody({
      forUserId: OUR_ID,
      eventId: '1700000000000077001',
      senderId: ANA,
      recipientId: OUR_ID,
      text: 'hello',
    });
    const slackPost = (base: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/slack/events`, signedSlackRequest(SLACK_SECRET, slackBody, { headers }));
    const xPost = (base: string) => fetch(`${base}/twitter/webhook`, signedXRequest(X_SECRET, xBody));
    const botFrameworkBody = JSON.stringify({
      type: 'message',
      id: 'bf-restart-1',
      text: 'hello',
      channelId: 'emulator',
      serviceUrl: connector.url,
      conversation: { id: 'emulator-restart' },
      from: { id: 'user-7', name: 'Ana' },
      recipient: { id: 'bot', name: 'Relevo' },
    });
    const botFrameworkPost = (base: string) =>
      fetch(`${base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: botFrameworkBody,
      });
    expect((await slackPost(firstBase)).status).toBe(200);
    expect((await xPost(firstBase)).status).toBe(200);
    // Email: marked \Seen once queued, so a restarted process will not fetch it again.
    const uid = await dovecot.append(
      'restart',
      rawMail({ from: 'gil@example.com', messageId: '<restart-1@example.com>', text: 'hello' }),
    );
    // Bot Framework is answered once the turn ran (or after 10 s): this one never gets its answer.
    const unanswered = botFrameworkPost(firstBase).then(
      (response) => response.status,
      () => 'connection lost',
    );
    await expect
      .poll(
        () => [
          ...[slack.calls, x.calls].map((calls) => calls.some((call) => call.status === 0)),
          connector.requests > 0,
          smtp.held > 0,
        ],
        { timeout: 30_000 },
      )
      .toEqual([true, true, true, true]);
    expect((await dovecot.flags('restart', uid)).has('\\Seen')).toBe(true);
    first.child.kill('SIGKILL');
    await first.exited();
    expect(await unanswered).toBe('connection lost');
    slack.hold('chat.postMessage', false);
    x.hold(X_DMS, false);
    connector.held = false;
    smtp.hold(false);
    expect(slack.posts()).toEqual([]);
    expect(x.dms()).toEqual([]);
    expect(connector.replies).toEqual([]);
    expect(smtp.received).toEqual([]);

    const second = spawnRelevo(env);
    started.push(second);
    const secondBase = `http://127.0.0.1:${await second.listening()}`;
    // Slack retries and X re-delivers the same events to the new process: nothing new is queued.
    expect((await slackPost(secondBase, { 'x-slack-retry-num': '1' })).status).toBe(200);
    expect((await xPost(secondBase)).status).toBe(200);

    await expect
      .poll(() => [slack.posts().length > 0, x.dms().length > 0], { timeout: 30_000 })
      .toEqual([true, true]);
    // Long enough for a second answer, were one coming: several visibility timeouts.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const slackTexts = slack.posts().map((post) => String(post.text));
    const xTexts = x.dms().map((dm) => dm.text);
    expect(repeated(slackTexts)).toEqual([]);
    expect(repeated(xTexts)).toEqual([]);
    expect(repeated(connector.replies)).toEqual([]);
    expect(smtp.received.map((mail) => mail.parsed.inReplyTo)).toEqual(['<restart-1@example.com>']);
    expect(second.output()).toContain('queued before');
  }, 120_000);
});
