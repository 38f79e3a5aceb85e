import { beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../core/logger.js';
import { FAKE_SLACK_BOT, signedSlackRequest } from '../../support/fake-slack.js';
import { startSlackRelevo, useFakeSlack } from '../../support/fake-slack-fixture.js';
import { slackEventSamples } from '../../support/slack-event-samples.js';

const SECRET = 'test-signing-secret-0123456789';
const fixture = useFakeSlack();
/** What the agent was asked, turn by turn: a turn that ran shows up here. */
let turns: string[] = [];
/** What each refusal logged. */
let refusals: Record<string, unknown>[] = [];
beforeEach(() => {
  turns = [];
  refusals = [];
});

const logger: Logger = {
  debug() {},
  info() {},
  warn(fields, message) {
    if (message === 'Slack delivery refused as malformed') refusals.push(fields as Record<string, unknown>);
  },
  error() {},
  child: () => logger,
};

async function start(): Promise<string> {
  const { base } = await startSlackRelevo(fixture, {
    secret: SECRET,
    logger,
    bot: async (context) => {
      if (context.activity.type !== 'message') return;
      turns.push(context.activity.text ?? '');
      await context.sendActivity(`You said: ${context.activity.text}`);
    },
  });
  return base;
}

const DM = {
  type: 'message',
  channel: 'D0CUSTOMER',
  channel_type: 'im',
  user: 'U0ANA',
  text: 'Where is my order?',
  ts: '1700000000.000200',
};

function callback(event: unknown, envelope: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'event_callback',
    team_id: FAKE_SLACK_BOT.team,
    event_id: 'EvMALFORMED1',
    event_time: 1700000000,
    event,
    ...envelope,
  };
}

function click(changes: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'block_actions',
    trigger_id: '1234.5678.abcd',
    user: { id: 'U0ANA', team_id: FAKE_SLACK_BOT.team },
    team: { id: FAKE_SLACK_BOT.team },
    channel: { id: 'D0CUSTOMER' },
    message: { ts: '1700000000.000300' },
    actions: ourChoice,
    ...changes,
  };
}

const ourChoice = [{ action_id: 'relevo_choice_0', value: 'Where is my order?' }];

function post(base: string, body: unknown): Promise<Response> {
  return fetch(`${base}/slack/events`, signedSlackRequest(SECRET, JSON.stringify(body)));
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

/**
 * Expects a 400 naming `field` that tells Slack not to retry, and one warning saying which delivery and
 * field, with none of the customer's words.
 */
async function expectMalformed(base: string, body: unknown, field: string): Promise<void> {
  refusals = [];
  const response = await post(base, body);
  expect(response.status).toBe(400);
  expect(response.headers.get('x-slack-no-retry')).toBe('1');
  const reason = (await response.json()) as { code: string; message: string };
  expect(reason.code).toBe('RELEVO_SLACK_MALFORMED');
  expect(reason.message).toContain(field);
  expect(refusals).toEqual([expect.objectContaining({ reason: reason.message })]);
  const { event_id, trigger_id } = body as { event_id?: unknown; trigger_id?: unknown };
  if (typeof event_id === 'string') expect(refusals[0]).toMatchObject({ eventId: event_id });
  if (typeof trigger_id === 'string') expect(refusals[0]).toMatchObject({ triggerId: trigger_id });
  expect(JSON.stringify(refusals)).not.toContain('Where is my order');
}

describe('signed but malformed Slack payloads', () => {
  it('refuses an event callback whose event is not an object with a type, with 400 naming the field', async () => {
    const base = await start();
    for (const event of ['message', null, undefined, [], 42, {}, { type: 7 }, { type: '' }]) {
      await expectMalformed(base, callback(event), 'event');
    }
    await expectMalformed(base, callback(DM, { team_id: undefined }), 'team_id');
    await expectMalformed(base, callback(DM, { event_id: 12 }), 'event_id');
    await settle();
    expect(turns).toEqual([]);
    expect(fixture.slack.posts()).toEqual([]);
  });

  it('refuses messages, mentions and button clicks missing a field their turn reads, running no turn', async () => {
    const base = await start();
    await expectMalformed(base, callback({ ...DM, text: 42 }), 'event.text');
    await expectMalformed(base, callback({ ...DM, channel: { id: 'D0' } }), 'event.channel');
    await expectMalformed(base, callback({ ...DM, ts: undefined }), 'event.ts');
    await expectMalformed(base, callback({ ...DM, user: ['U0ANA'] }), 'event.user');
    await expectMalformed(base, callback({ ...DM, type: 'app_mention', thread_ts: 1 }), 'event.thread_ts');
    const unnamed = { value: 'x' };
    await expectMalformed(base, click({ actions: [unnamed, ...ourChoice] }), 'actions.0.action_id');
    await expectMalformed(base, click({ user: undefined }), 'user');
    await expectMalformed(base, click({ actions: 'relevo_choice_0' }), 'actions');
    await settle();
    expect(turns).toEqual([]);
    expect(fixture.slack.posts()).toEqual([]);
  });

  it('queues nothing for a refused delivery: the same event id, well formed, is answered afterwards', async () => {
    const base = await start();
    await expectMalformed(base, callback({ ...DM, text: { rich: true } }), 'event.text');
    const response = await post(base, callback(DM));
    expect(response.status).toBe(200);
    expect((await fixture.slack.waitForPosts(1)).map((reply) => reply.text)).toEqual([
      'You said: Where is my order?',
    ]);
    expect(turns).toEqual(['Where is my order?']);
  });

  it('acknowledges with 200 what runs no turn, whatever the fields it never reads hold', async () => {
    const base = await start();
    const oddlyShaped = [
      callback({ type: 'reaction_added', user: 'U0ANA', reaction: 'thumbsup', item: { ts: 1 } }),
      callback({ ...DM, subtype: 'message_changed', user: undefined, channel: { id: 'D0' }, message: 7 }),
      callback({ type: 'message', subtype: 'bot_message', bot_id: 'B0', ts: 5, text: { blocks: [] } }),
      callback({ ...DM, channel_type: 'channel', text: ['lunch?'], ts: null }),
      callback({ type: 'team_join', user: { id: 'U0NEW' } }, { team_id: null, event_id: 12 }),
      click({ actions: [{ action_id: 'open_order', value: 7 }], user: 'U0ANA', trigger_id: null }),
    ];
    for (const body of oddlyShaped) {
      const response = await post(base, body);
      expect(response.status).toBe(200);
    }
    await settle();
    expect(refusals).toEqual([]);
    expect(turns).toEqual([]);
  });

  it("acknowledges Slack's documented payloads, turning only a DM, a mention and a click on our button into turns", async () => {
    const base = await start();
    const samples = slackEventSamples(FAKE_SLACK_BOT.userId);
    for (const sample of samples) {
      const json = JSON.stringify(sample.body);
      const response = await fetch(
        `${base}/slack/events`,
        sample.form
          ? signedSlackRequest(SECRET, new URLSearchParams({ payload: json }).toString(), {
              contentType: 'application/x-www-form-urlencoded',
            })
          : signedSlackRequest(SECRET, json),
      );
      expect({ sample: sample.name, status: response.status }).toEqual({ sample: sample.name, status: 200 });
    }
    const expected = samples.flatMap((sample) => (sample.turn ? [sample.turn] : [])).sort();
    expect(expected).toHaveLength(3);
    await expect.poll(() => [...turns].sort()).toEqual(expected);
    await settle();
    expect(turns).toHaveLength(3);
    expect(refusals).toEqual([]);
  });
});
