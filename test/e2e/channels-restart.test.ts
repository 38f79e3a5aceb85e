import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FakeSlack, FAKE_SLACK_BOT, signedSlackRequest, startFakeSlack } from '../support/fake-slack.js';
import { dmEventBody, type FakeX, signedXRequest, startFakeX } from '../support/fake-x.js';
import { type RelevoProcess, spawnRelevo } from '../support/spawn-relevo.js';

const SLACK_SECRET = 'restart-slack-signing-secret';
const X_SECRET = 'restart-x-consumer-secret';
const OUR_ID = '1000000000000000001';
const ANA = '2000000000000000002';
const X_DMS = '/2/dm_conversations/';

let slack: FakeSlack;
let x: FakeX;
const started: RelevoProcess[] = [];

beforeAll(async () => {
  [slack, x] = await Promise.all([startFakeSlack(), startFakeX(OUR_ID)]);
});

afterAll(async () => {
  await Promise.all(started.map((each) => each.stop()));
  await Promise.all([slack?.close(), x?.close()]);
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

describe('Slack and X messages of a server process killed mid-turn', () => {
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
    };
    const first = spawnRelevo(env);
    started.push(first);
    const firstBase = `http://127.0.0.1:${await first.listening()}`;

    // Slack and X take the replies' requests but never answer: both turns are stuck mid-send.
    slack.hold('chat.postMessage', true);
    x.hold(X_DMS, true);
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
    expect((await slackPost(firstBase)).status).toBe(200);
    expect((await xPost(firstBase)).status).toBe(200);
    await expect
      .poll(() => [slack.calls, x.calls].map((calls) => calls.some((call) => call.status === 0)), {
        timeout: 30_000,
      })
      .toEqual([true, true]);
    first.child.kill('SIGKILL');
    await first.exited();
    slack.hold('chat.postMessage', false);
    x.hold(X_DMS, false);
    expect(slack.posts()).toEqual([]);
    expect(x.dms()).toEqual([]);

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
    expect(second.output()).toContain('queued before');
  }, 120_000);
});
