import { randomUUID } from 'node:crypto';
import { MessageFactory, type ConversationReference, TurnContext } from 'botbuilder';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import type { Relevo } from '../../../bots/relevo.js';
import type { TurnLogic } from '../../../core/channel.js';
import { FAKE_SLACK_BOT, signedSlackRequest } from '../../support/fake-slack.js';
import { startSlackRelevo, useFakeSlack } from '../../support/fake-slack-fixture.js';

const SECRET = 'test-signing-secret-0123456789';
const TEAM = FAKE_SLACK_BOT.team;

const fixture = useFakeSlack();
/** What the agent was asked, turn by turn: a turn that ran shows up here. */
let turns: string[] = [];
/** The attachments of those turns' messages. */
let shared: unknown[] = [];
/** Conversation references of customers who asked for a person: what the agent desk keeps. */
let handoffs: Partial<ConversationReference>[] = [];
let gate: Promise<void> | undefined;

const bot: TurnLogic = async (context) => {
  if (context.activity.type !== 'message') return;
  const text = context.activity.text ?? '';
  turns.push(text);
  shared.push(...(context.activity.attachments ?? []));
  await gate;
  if (text === 'Two replies please') {
    await context.sendActivities([
      { type: 'message', text: 'First.' },
      { type: 'message', text: 'Second.' },
    ]);
    return;
  }
  if (text === 'Talk to a person') {
    handoffs.push(TurnContext.getConversationReference(context.activity));
    await context.sendActivity('Connecting you to a person now.');
    return;
  }
  await context.sendActivity(
    MessageFactory.suggestedActions(['Where is my order?', 'Talk to a person'], `You said: ${text}`),
  );
};

function start(env: Record<string, string> = {}): Promise<{ base: string; relevo: Relevo }> {
  return startSlackRelevo(fixture, { secret: SECRET, bot, env });
}

function dm(
  text: string,
  eventId = `Ev${randomUUID().slice(0, 8)}`,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    token: 'legacy-token',
    team_id: TEAM,
    api_app_id: 'A0RELEVO',
    type: 'event_callback',
    event_id: eventId,
    event_time: 1700000000,
    event: {
      type: 'message',
      channel: 'D0CUSTOMER',
      channel_type: 'im',
      user: 'U0ANA',
      team: TEAM,
      text,
      ts: '1700000000.000200',
      event_ts: '1700000000.000200',
      ...extra,
    },
  });
}

function post(base: string, body: string, options: Parameters<typeof signedSlackRequest>[2] = {}) {
  return fetch(`${base}/slack/events`, signedSlackRequest(SECRET, body, options));
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

beforeEach(() => {
  turns = [];
  shared = [];
  handoffs = [];
  gate = undefined;
});

describe('the Slack channel', () => {
  it("answers Slack's url_verification challenge", async () => {
    const { base } = await start();
    const response = await post(
      base,
      JSON.stringify({ token: 't', challenge: 'c-123', type: 'url_verification' }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ challenge: 'c-123' });
  });

  it('replies to a direct message in the DM, with the suggested actions as buttons', async () => {
    const { base } = await start();
    const response = await post(base, dm('Hi there'));
    expect(response.status).toBe(200);
    expect(await fixture.slack.waitForPosts(1)).toEqual([
      {
        channel: 'D0CUSTOMER',
        text: 'You said: Hi there',
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: 'You said: Hi there' } },
          {
            type: 'actions',
            block_id: 'relevo_choices',
            elements: [
              {
                type: 'button',
                action_id: 'relevo_choice_0',
                text: { type: 'plain_text', text: 'Where is my order?', emoji: true },
                value: 'Where is my order?',
              },
              {
                type: 'button',
                action_id: 'relevo_choice_1',
                text: { type: 'plain_text', text: 'Talk to a person', emoji: true },
                value: 'Talk to a person',
              },
            ],
          },
        ],
        // The reply's key, for a run of the turn again to find it (reply-lookup.test.ts).
        metadata: {
          event_type: 'relevo_reply',
          event_payload: { reply_key: expect.stringMatching(/^reply:slack:Ev\w+:0$/) },
        },
      },
    ]);
    expect(fixture.slack.calls.find((call) => call.method === 'chat.postMessage')?.token).toBe(
      'xoxb-test-token',
    );
  });

  it('answers a DM that shares a photo with a caption, the photo on the turn as an attachment', async () => {
    const { base } = await start();
    const photo = {
      id: 'F0PHOTO',
      name: 'box.jpg',
      mimetype: 'image/jpeg',
      url_private: 'https://files.slack.com/files-pri/T0RELEVO-F0PHOTO/box.jpg',
    };
    const response = await post(
      base,
      dm('The box arrived crushed', undefined, { subtype: 'file_share', files: [photo] }),
    );
    expect(response.status).toBe(200);
    const [reply] = await fixture.slack.waitForPosts(1);
    expect(turns).toEqual(['The box arrived crushed']);
    expect(shared).toEqual([{ contentType: 'image/jpeg', contentUrl: photo.url_private, name: 'box.jpg' }]);
    expect(reply).toMatchObject({ channel: 'D0CUSTOMER', text: 'You said: The box arrived crushed' });
  });

  it('answers a mention in a channel in the thread of that message, without the mention', async () => {
    const { base } = await start();
    const body = JSON.parse(dm('x'));
    body.event = {
      type: 'app_mention',
      channel: 'C0SUPPORT',
      user: 'U0ANA',
      team: TEAM,
      text: `<@${FAKE_SLACK_BOT.userId}> my parcel is late`,
      ts: '1700000100.000300',
    };
    await post(base, JSON.stringify(body));
    const [reply] = await fixture.slack.waitForPosts(1);
    expect(turns).toEqual(['my parcel is late']);
    expect(reply).toMatchObject({
      channel: 'C0SUPPORT',
      thread_ts: '1700000100.000300',
      text: 'You said: my parcel is late',
    });
  });

  it('replies exactly once to an event Slack delivers four times, however the retries arrive', async () => {
    const { base } = await start();
    const body = dm('Where is my order?', 'EvREPLAYED1');
    const responses = await Promise.all([
      post(base, body),
      post(base, body, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } }),
    ]);
    responses.push(
      await post(base, body, {
        headers: { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' },
      }),
    );
    responses.push(
      await post(base, body, { headers: { 'x-slack-retry-num': '3', 'x-slack-retry-reason': 'http_error' } }),
    );
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    await fixture.slack.waitForPosts(1);
    await settle();
    expect(fixture.slack.posts()).toHaveLength(1);
    expect(turns).toEqual(['Where is my order?']);
  });

  it("acknowledges within Slack's 3 seconds while the turn is still working, then replies", async () => {
    const { base } = await start();
    let release = () => {};
    gate = new Promise((resolve) => {
      release = resolve;
    });
    const started = Date.now();
    const response = await post(base, dm('slow question'));
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
    await settle();
    expect(turns).toEqual(['slow question']);
    expect(fixture.slack.posts()).toHaveLength(0);
    release();
    expect(await fixture.slack.waitForPosts(1)).toHaveLength(1);
  });

  it('refuses forged, stale, early and unsigned requests with 401 and runs no turn', async () => {
    const { base } = await start();
    // Well outside the 5-minute window, so seconds of a loaded machine between here and the check do
    // not bring the early request back inside it.
    const now = Math.floor(Date.now() / 1000);
    const forged = signedSlackRequest('not-the-secret', dm('forged'));
    const stale = signedSlackRequest(SECRET, dm('stale'), { timestampSeconds: now - 600 });
    const early = signedSlackRequest(SECRET, dm('early'), { timestampSeconds: now + 600 });
    const unsigned = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: dm('unsigned'),
    };
    for (const request of [forged, stale, early, unsigned]) {
      const response = await fetch(`${base}/slack/events`, request);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ code: 'RELEVO_SLACK_SIGNATURE', message: expect.any(String) });
    }
    await settle();
    expect(turns).toEqual([]);
    expect(fixture.slack.posts()).toEqual([]);
  });

  it('answers a signed but malformed body with 400 and an oversized one with 413, running no turn', async () => {
    const { base } = await start();
    const huge = await post(base, dm('x'.repeat(2 * 1024 * 1024)));
    expect(huge.status).toBe(413);
    const response = await post(base, '{"type": "event_callback", ');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'RELEVO_SLACK_MALFORMED' });
    await settle();
    expect(turns).toEqual([]);
  });

  it('ignores its own messages, other bots, edits and channel chatter that does not mention it', async () => {
    const { base } = await start();
    await post(base, dm('my own echo', undefined, { user: FAKE_SLACK_BOT.userId }));
    await post(base, dm('another bot', undefined, { bot_id: 'B0OTHER', subtype: 'bot_message' }));
    await post(base, dm('edited', undefined, { subtype: 'message_changed' }));
    await post(base, dm('chatter', undefined, { channel: 'C0SUPPORT', channel_type: 'channel' }));
    await settle();
    expect(turns).toEqual([]);
    expect(fixture.slack.posts()).toEqual([]);
  });

  it('reads a button click as the customer choosing that option, and answers once in the same place', async () => {
    const { base } = await start();
    const payload = {
      type: 'block_actions',
      trigger_id: '1234.5678.abcd',
      user: { id: 'U0ANA', team_id: TEAM },
      team: { id: TEAM },
      channel: { id: 'C0SUPPORT' },
      message: { ts: '1700000200.000100', thread_ts: '1700000100.000300' },
      actions: [
        {
          action_id: 'relevo_choice_0',
          block_id: 'relevo_choices',
          value: 'Where is my order?',
          action_ts: '1700000201.1',
        },
      ],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    for (let i = 0; i < 4; i++) {
      const response = await post(base, body, { contentType: 'application/x-www-form-urlencoded' });
      expect(response.status).toBe(200);
    }
    const [reply] = await fixture.slack.waitForPosts(1);
    await settle();
    expect(fixture.slack.posts()).toHaveLength(1);
    expect(turns).toEqual(['Where is my order?']);
    expect(reply).toMatchObject({ channel: 'C0SUPPORT', thread_ts: '1700000100.000300' });
  });

  it('waits out a 429 for its Retry-After and then delivers the reply once', async () => {
    const { base } = await start();
    fixture.slack.rateLimit('chat.postMessage', 1, 1);
    await post(base, dm('busy day'));
    await fixture.slack.waitForPosts(1, 5_000);
    const attempts = fixture.slack.calls.filter((call) => call.method === 'chat.postMessage');
    expect(attempts.map((call) => call.status)).toEqual([429, 200]);
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it("holds a whole DM conversation and delivers a human agent's replies into it during a handoff", async () => {
    const { base, relevo } = await start();
    await post(base, dm('Hi'));
    await fixture.slack.waitForPosts(1);
    await post(base, dm('Talk to a person', undefined, { ts: '1700000300.000100' }));
    // The bot answers, then the pipeline's handoff stage calls a person in and says so.
    await fixture.slack.waitForPosts(3);
    // The agent desk answers through the channel's adapter with the reference it kept.
    const adapter = relevo.channels.find((channel) => channel.name === 'slack')?.adapter;
    const [reference] = handoffs;
    expect(reference?.user?.id).toBe(`slack:${TEAM}/U0ANA`);
    await adapter?.continueConversation(reference ?? {}, async (context) => {
      await context.sendActivity('Hi, this is Sam from support. I can see your order.');
    });
    const posts = await fixture.slack.waitForPosts(4);
    expect(posts.map((p) => [p.channel, p.thread_ts, p.text])).toEqual([
      ['D0CUSTOMER', undefined, 'You said: Hi'],
      ['D0CUSTOMER', undefined, 'Connecting you to a person now.'],
      [
        'D0CUSTOMER',
        undefined,
        'I am bringing in a person from our team. They will join this chat in a moment.',
      ],
      ['D0CUSTOMER', undefined, 'Hi, this is Sam from support. I can see your order.'],
    ]);
  });

  it('reports itself on /healthz, and is off without its settings', async () => {
    const health = async (base: string) =>
      ((await (await fetch(`${base}/healthz`)).json()) as { channels: Record<string, unknown> }).channels
        .slack;
    const on = await start();
    expect(await health(on.base)).toEqual({
      status: 'on',
      detail: `bot ${FAKE_SLACK_BOT.userId} in ${TEAM}`,
    });
    const off = await start({ SLACK_SIGNING_SECRET: '', SLACK_BOT_TOKEN: '' });
    expect(await health(off.base)).toMatchObject({
      status: 'off',
    });
  });

  it('replies once when a retry reaches a second process sharing the same Redis', async () => {
    const env = { REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: `slack-${randomUUID().slice(0, 8)}` };
    const first = await start(env);
    const second = await start(env);
    const body = dm('Two servers', 'EvSHARED1');
    await post(first.base, body);
    await post(second.base, body, {
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
    });
    await post(second.base, body, {
      headers: { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' },
    });
    await post(first.base, body, {
      headers: { 'x-slack-retry-num': '3', 'x-slack-retry-reason': 'http_timeout' },
    });
    await fixture.slack.waitForPosts(1);
    await settle();
    expect(fixture.slack.posts()).toHaveLength(1);
    expect(turns).toEqual(['Two servers']);
  });

  it('finishes a turn whose second reply Slack failed from its saved outbox: each reply once, in order, the bot run once', async () => {
    const { base } = await start({
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: `slack-${randomUUID().slice(0, 8)}`,
      INBOUND_VISIBILITY_MS: '1000',
    });
    fixture.slack.failCall('chat.postMessage', 2);
    expect((await post(base, dm('Two replies please'))).status).toBe(200);
    await fixture.slack.waitForPosts(2, 10_000);
    await settle();
    expect(fixture.slack.posts().map((message) => message.text)).toEqual(['First.', 'Second.']);
    // The second run found the state saved with the turn's replies: it sent them again without running
    // the bot (on the state the first run advanced), and skipped 'First.', sent already.
    expect(turns).toEqual(['Two replies please']);
  });
});
