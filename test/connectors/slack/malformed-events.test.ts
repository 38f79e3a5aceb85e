import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../bots/config.js';
import { createRelevo } from '../../../bots/relevo.js';
import { silentLogger } from '../../../core/logger.js';
import { FAKE_SLACK_BOT, signedSlackRequest } from '../../support/fake-slack.js';
import { useFakeSlack } from '../../support/fake-slack-fixture.js';

const SECRET = 'test-signing-secret-0123456789';
const fixture = useFakeSlack();
/** What the agent was asked, turn by turn: a turn that ran shows up here. */
let turns: string[] = [];
beforeEach(() => {
  turns = [];
});

async function start(): Promise<string> {
  const relevo = await createRelevo({
    config: loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: fixture.slack.url,
    }),
    logger: silentLogger,
    bot: async (context) => {
      if (context.activity.type !== 'message') return;
      turns.push(context.activity.text ?? '');
      await context.sendActivity(`You said: ${context.activity.text}`);
    },
  });
  fixture.closeAfterTest(() => relevo.close());
  const { port } = await relevo.listen();
  return `http://127.0.0.1:${port}`;
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
    actions: [{ action_id: 'relevo_choice_0', value: 'Where is my order?' }],
    ...changes,
  };
}

function post(base: string, body: unknown): Promise<Response> {
  return fetch(`${base}/slack/events`, signedSlackRequest(SECRET, JSON.stringify(body)));
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

async function expectMalformed(base: string, body: unknown, field: string): Promise<void> {
  const response = await post(base, body);
  expect(response.status).toBe(400);
  const reason = (await response.json()) as { code: string; message: string };
  expect(reason.code).toBe('RELEVO_SLACK_MALFORMED');
  expect(reason.message).toContain(field);
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
    await expectMalformed(base, click({ actions: [{ value: 'x' }] }), 'actions.0.action_id');
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

  it('acknowledges well-formed events it does not act on, with fields it never reads', async () => {
    const base = await start();
    const reaction = { type: 'reaction_added', user: 'U0ANA', reaction: 'thumbsup', item: { ts: 1 } };
    const edit = { ...DM, subtype: 'message_changed', user: undefined, message: { text: 'edited' } };
    for (const [n, event] of [reaction, edit, { ...DM, bot_id: null, thread_ts: null }].entries()) {
      const response = await post(base, callback(event, { event_id: `EvWELLFORMED${n}` }));
      expect(response.status).toBe(200);
    }
    await expect.poll(() => turns).toEqual(['Where is my order?']);
  });
});
