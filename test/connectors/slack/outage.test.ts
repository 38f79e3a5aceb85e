import { describe, expect, inject, it } from 'vitest';
import type { TurnLogic } from '../../../core/channel.js';
import { InFlightWork } from '../../../core/in-flight.js';
import { createSlackChannel } from '../../../connectors/slack/index.js';
import type { SlackOutageOptions } from '../../../connectors/slack/outage.js';
import { createStores, type Stores } from '../../../storage/stores.js';
import { useRedis } from '../../support/redis-fixture.js';
import type { RedisSingle } from '../../../storage/redis-connection.js';
import { serveChannel } from '../../support/serve-channel.js';
import { until, warningsLogger } from '../../support/cut-reply-runs.js';
import { FAKE_SLACK_BOT, signedSlackRequest } from '../../support/fake-slack.js';
import { useFakeSlack } from '../../support/fake-slack-fixture.js';

const SECRET = 'test-signing-secret-0123456789';
/** The customer's message: older than anything the fake Slack posts (its `ts` is now). */
const ASKED_TS = '1700000000.000300';
/** Production's waits (15 s, doubling to 30 s, 2 min a run) made short. */
const SHORT: SlackOutageOptions = { firstDelayMs: 20, maxDelayMs: 300, budgetMs: 2_400 };
const redis = useRedis();

const fixture = useFakeSlack();
const { warnings } = fixture;

/**
 * The Slack channel on its own server and `stores` (memory by default), as one process; the queue takes
 * a failed turn up again after 300 ms.
 */
async function start(bot: TurnLogic, outage: SlackOutageOptions = SHORT, given?: Stores): Promise<string> {
  const stores = given ?? (await createStores());
  const inFlight = new InFlightWork();
  const logger = warningsLogger(warnings);
  const channel = createSlackChannel({
    signingSecret: SECRET,
    botToken: 'xoxb-test-token',
    apiUrl: fixture.slack.url,
    logger,
    inFlight,
    pipeline: [],
    bot,
    stores,
    visibilityMs: 300,
    outage,
  });
  const { base, close } = await serveChannel(channel, { logger, inFlight, stores });
  fixture.closeAfterTest(close);
  return base;
}

async function deliver(base: string, channel: string, text: string, eventId: string) {
  const event = { type: 'message', channel, channel_type: 'im', user: 'U0ANA', ts: ASKED_TS, text };
  const body = JSON.stringify({
    team_id: FAKE_SLACK_BOT.team,
    type: 'event_callback',
    event_id: eventId,
    event,
  });
  expect((await fetch(`${base}/slack/events`, signedSlackRequest(SECRET, body))).status).toBe(200);
}

/** A bot answering every message with two replies; `runs` counts its runs per DM channel. */
function twoReplies(): { bot: TurnLogic; runs: Map<string, number> } {
  const runs = new Map<string, number>();
  return {
    runs,
    bot: async (context) => {
      if (context.activity.type !== 'message') return;
      const channel = context.activity.conversation.id;
      runs.set(channel, (runs.get(channel) ?? 0) + 1);
      await context.sendActivity(`Your order ships tomorrow (${context.activity.text}).`);
      await context.sendActivity('Anything else?');
    },
  };
}

const posted = () => fixture.slack.posts().map((message) => `${message.channel}: ${message.text}`);
const statuses = (method: string) =>
  fixture.slack.calls.filter((call) => call.method === method).map((call) => call.status);

describe('a Slack outage', () => {
  it('of about a minute of HTTP 503 ends with every reply of three conversations posted exactly once', async () => {
    const { bot, runs } = twoReplies();
    const base = await start(bot);
    // Fifteen refused posts, and the first four looks for them: at production's backoff a conversation
    // waits out about a minute. Without riding it out in the run, at least one turn fails its five runs
    // (the queue's limit) and is given up.
    fixture.slack.unavailable('chat.postMessage', 15);
    fixture.slack.unavailable('conversations.history', 4);
    await deliver(base, 'D0OUT1', 'one', 'EvOUT1');
    await deliver(base, 'D0OUT2', 'two', 'EvOUT2');
    await deliver(base, 'D0OUT3', 'three', 'EvOUT3');
    await until(() => fixture.slack.posts().length >= 6, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(posted().sort()).toEqual([
      'D0OUT1: Anything else?',
      'D0OUT1: Your order ships tomorrow (one).',
      'D0OUT2: Anything else?',
      'D0OUT2: Your order ships tomorrow (two).',
      'D0OUT3: Anything else?',
      'D0OUT3: Your order ships tomorrow (three).',
    ]);
    expect(statuses('chat.postMessage').filter((status) => status === 503)).toHaveLength(15);
    // Ridden out inside each turn's first run: no turn failed.
    expect([...runs.values()]).toEqual([1, 1, 1]);
  }, 20_000);

  it('posts once a reply Slack took but whose answer was lost, found by its key in the same run', async () => {
    const { bot, runs } = twoReplies();
    const base = await start(bot);
    fixture.slack.dropAnswer('chat.postMessage', 1);
    // Slack is still down at the first look: the run waits and looks again rather than posting.
    fixture.slack.unavailable('conversations.history', 1);
    await deliver(base, 'D0LOST', 'lost', 'EvLOST');
    await until(() => fixture.slack.posts().length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(posted()).toEqual(['D0LOST: Your order ships tomorrow (lost).', 'D0LOST: Anything else?']);
    expect(statuses('conversations.history')).toEqual([503, 200]);
    expect([...runs.values()]).toEqual([1]);
  });

  it('waits out a rate-limited look (HTTP 429) for a lost answer instead of posting the reply again', async () => {
    const { bot } = twoReplies();
    const base = await start(bot);
    fixture.slack.dropAnswer('chat.postMessage', 1);
    fixture.slack.rateLimit('conversations.history', 1, 1);
    await deliver(base, 'D0LIMIT', 'limit', 'EvLIMIT');
    await until(() => fixture.slack.posts().length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(posted()).toEqual(['D0LIMIT: Your order ships tomorrow (limit).', 'D0LIMIT: Anything else?']);
    const looks = fixture.slack.calls.filter((call) => call.method === 'conversations.history');
    expect(looks.map((call) => call.status)).toEqual([429, 200]);
    // The look came after the Retry-After, not retried at once.
    expect((looks[1]?.at ?? 0) - (looks[0]?.at ?? 0)).toBeGreaterThanOrEqual(1_000);
    expect(warnings).not.toContain('could not look for a reply whose post failed: posting it, perhaps again');
  });

  it('longer than a run may wait fails the turn, whose next run posts each reply once', async () => {
    const { bot, runs } = twoReplies();
    // 20 + 40 + 80 ms of backoff fit; the fourth wait (160 ms) does not.
    const base = await start(bot, { firstDelayMs: 20, maxDelayMs: 1_000, budgetMs: 200 });
    fixture.slack.unavailable('chat.postMessage', 4);
    await deliver(base, 'D0LONG', 'long', 'EvLONG');
    await until(() => fixture.slack.posts().length >= 2, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(posted()).toEqual(['D0LONG: Your order ships tomorrow (long).', 'D0LONG: Anything else?']);
    expect(statuses('chat.postMessage')).toEqual([503, 503, 503, 503, 200, 200]);
    // The first run gave up waiting (a loaded machine may need one more run to use up the 503s).
    expect(runs.get('T0RELEVO:D0LONG')).toBeGreaterThan(1);
  });

  it('stops a run whose turn lock another process took over: each reply is posted once, by the run that took over', async () => {
    const { bot, runs } = twoReplies();
    // Two processes on one Redis. The first waits 2 s before looking for its failed post; the second
    // takes the conversation over once the first's lock is gone and its wake-up idle for 300 ms (it
    // starts first, so its polls come first: the first process's own would win the wake-up otherwise).
    const onRedis = () => createStores({ redisUrl: inject('redisUrl'), prefix: redis.prefix });
    const outage = { firstDelayMs: 2_000, maxDelayMs: 2_000, budgetMs: 10_000 };
    await start(bot, outage, await onRedis());
    const first = await onRedis();
    const base = await start(bot, outage, first);
    fixture.slack.unavailable('chat.postMessage', 1);
    await deliver(base, 'D0TAKE', 'take', 'EvTAKE');
    await until(() => statuses('chat.postMessage').length === 1);
    const failedAt = Date.now();
    // The first process's lease lapses, as when Redis did not see its extends for the lock's lifetime.
    const [lock] = await (first.redis as RedisSingle).keys(`${redis.prefix}:lock:turn:*`);
    expect(await (first.redis as RedisSingle).pExpire(lock ?? '', 1)).toBe(1);
    await until(() => fixture.slack.posts().length >= 2, 5_000);
    // Past the first run's look and post, had it gone on waiting.
    await new Promise((resolve) => setTimeout(resolve, failedAt + 2_500 - Date.now()));

    expect(posted()).toEqual(['D0TAKE: Your order ships tomorrow (take).', 'D0TAKE: Anything else?']);
    // The first run's post was refused; it neither looked nor posted after that: the second run's did.
    expect(statuses('chat.postMessage')).toEqual([503, 200, 200]);
    expect(statuses('conversations.history')).toEqual([200]);
    expect(runs.get('T0RELEVO:D0TAKE')).toBe(2);
    expect(warnings).toContain('an inbound drain lost its turn lock');
  }, 15_000);
});
