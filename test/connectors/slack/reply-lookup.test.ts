import { describe, expect, it } from 'vitest';
import type { TurnLogic } from '../../../core/channel.js';
import { InFlightWork } from '../../../core/in-flight.js';
import { createSlackChannel } from '../../../connectors/slack/index.js';
import { createStores } from '../../../storage/stores.js';
import { serveChannel } from '../../support/serve-channel.js';
import { cutFirstRun, faultyReplyStore, until, warningsLogger } from '../../support/cut-reply-runs.js';
import { FAKE_SLACK_BOT, signedSlackRequest } from '../../support/fake-slack.js';
import { useFakeSlack } from '../../support/fake-slack-fixture.js';

const SECRET = 'test-signing-secret-0123456789';
const TEAM = FAKE_SLACK_BOT.team;
/** The customer's message: older than anything the fake Slack posts (its `ts` is now). */
const ASKED_TS = '1700000000.000200';

const fixture = useFakeSlack();
const { warnings } = fixture;
const logger = warningsLogger(warnings);

/**
 * The Slack channel on its own server and memory stores whose record of the first sent reply fails
 * (the connection to Redis drops as the record is written) unless `recordFails` is false, with the
 * queue taking a failed turn up again after 300 ms.
 */
async function start(
  bot: TurnLogic,
  recordFails = true,
): Promise<{ base: string; recordsRefused: () => number }> {
  const stores = await createStores();
  const { store: idempotency, faults } = recordFails
    ? faultyReplyStore(stores.idempotency)
    : { store: stores.idempotency, faults: () => 0 };
  const inFlight = new InFlightWork();
  const channel = createSlackChannel({
    signingSecret: SECRET,
    botToken: 'xoxb-test-token',
    apiUrl: fixture.slack.url,
    logger,
    inFlight,
    pipeline: [],
    bot,
    stores: { ...stores, idempotency },
    visibilityMs: 300,
    // A post whose answer is lost is looked for 200 ms later here (15 s in production).
    outage: { firstDelayMs: 200, maxDelayMs: 1_000, budgetMs: 5_000 },
  });
  const { base, close } = await serveChannel(channel, { logger, inFlight, stores });
  fixture.closeAfterTest(close);
  return { base, recordsRefused: faults };
}

function deliver(base: string, event: Record<string, unknown>, eventId: string) {
  const body = JSON.stringify({ team_id: TEAM, type: 'event_callback', event_id: eventId, event });
  return fetch(`${base}/slack/events`, signedSlackRequest(SECRET, body));
}

const dm = { type: 'message', channel: 'D0LOOKUP', channel_type: 'im', user: 'U0ANA', ts: ASKED_TS };

const texts = () => fixture.slack.posts().map((message) => message.text);

describe('a Slack reply whose run died before recording it', () => {
  it('is found in the DM by its key on the next run and not posted again', async () => {
    const { bot, runs } = cutFirstRun(['Your order ships tomorrow.', 'Anything else?']);
    const { base, recordsRefused } = await start(bot);
    expect((await deliver(base, { ...dm, text: 'where is it?' }, 'EvLOOKUP1')).status).toBe(200);
    await until(() => runs() === 2);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(recordsRefused()).toBe(1);
    expect(texts()).toEqual(['Your order ships tomorrow.', 'Anything else?']);
    // Each reply carries its key and nothing of the customer's.
    expect(fixture.slack.posts().map((message) => message.metadata)).toEqual([
      { event_type: 'relevo_reply', event_payload: { reply_key: 'reply:slack:EvLOOKUP1:0' } },
      { event_type: 'relevo_reply', event_payload: { reply_key: 'reply:slack:EvLOOKUP1:1' } },
    ]);
    // Only the run again looked, and only for the reply it had no record of, since the customer's message.
    // Fifteen a page: the most Slack gives an app distributed outside its Marketplace.
    expect(fixture.slack.lookups()).toEqual([
      expect.objectContaining({
        channel: 'D0LOOKUP',
        oldest: ASKED_TS,
        include_all_metadata: 'true',
        limit: '15',
      }),
    ]);
  });

  it("is found among the thread's replies when it answered a mention in a channel", async () => {
    const { bot, runs } = cutFirstRun(['Your order ships tomorrow.', 'Anything else?']);
    const { base } = await start(bot);
    const mention = {
      type: 'app_mention',
      channel: 'C0LOOKUP',
      user: 'U0ANA',
      text: `<@${FAKE_SLACK_BOT.userId}> where is it?`,
      ts: ASKED_TS,
    };
    await deliver(base, mention, 'EvLOOKUP2');
    await until(() => runs() === 2);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(texts()).toEqual(['Your order ships tomorrow.', 'Anything else?']);
    expect(fixture.slack.posts().map((message) => message.thread_ts)).toEqual([ASKED_TS, ASKED_TS]);
    expect(fixture.slack.calls.filter((call) => call.method.startsWith('conversations.'))).toEqual([
      expect.objectContaining({
        method: 'conversations.replies',
        params: expect.objectContaining({ channel: 'C0LOOKUP', ts: ASKED_TS, oldest: ASKED_TS }),
      }),
    ]);
  });

  // missing_scope: an app installed before the `*:history` scopes were added.
  it.each(['internal_error', 'missing_scope'])(
    'is posted again, with a warning, when Slack answers the look for it with %s',
    async (error) => {
      const { bot, runs } = cutFirstRun(['Your order ships tomorrow.', 'Anything else?']);
      const { base } = await start(bot);
      fixture.slack.failCall('conversations.history', 1, error);
      await deliver(base, { ...dm, channel: `D0FAIL${error}`, text: 'where is it?' }, `EvFAIL${error}`);
      await until(() => runs() === 2 && fixture.slack.posts().length === 3);
      await new Promise((resolve) => setTimeout(resolve, 300));

      // At least once beats lost: the reply without a record goes out again; the recorded one does not.
      expect(texts()).toEqual(['Your order ships tomorrow.', 'Anything else?', 'Your order ships tomorrow.']);
      expect(warnings).toContain('could not look for a sent reply: sending it, perhaps again');
    },
  );

  it('is posted again at once, with a warning, when Slack rate limits the look for it (HTTP 429)', async () => {
    const { bot, runs } = cutFirstRun(['Your order ships tomorrow.', 'Anything else?']);
    const { base } = await start(bot);
    // An app outside the Marketplace that already made its one lookup this minute.
    fixture.slack.rateLimit('conversations.history', 1, 60);
    await deliver(base, { ...dm, channel: 'D0LIMITED', text: 'where is it?' }, 'EvLIMITED');
    await until(() => runs() === 2 && fixture.slack.posts().length >= 3, 5_000);

    expect(texts()).toEqual(['Your order ships tomorrow.', 'Anything else?', 'Your order ships tomorrow.']);
    // Not waited out, not retried.
    expect(fixture.slack.calls.filter((call) => call.method === 'conversations.history')).toEqual([
      expect.objectContaining({ status: 429 }),
    ]);
    expect(warnings).toContain('could not look for a sent reply: sending it, perhaps again');
  });

  it('is found on the first page when Slack rate limits the second, and a reply beyond it is posted with a warning', async () => {
    const parts = Array.from({ length: 17 }, (_, n) => `part ${n}`);
    const { bot, runs } = cutFirstRun(parts);
    const { base } = await start(bot);
    // The first reply's record is refused, and Slack refuses the last (the run fails there): one reply
    // with no record on the first page of 15, one beyond it, which the rerun cannot tell was not posted.
    fixture.slack.failCall('chat.postMessage', 17);
    fixture.slack.rateLimit('conversations.history', 1, 60, 1);
    await deliver(base, { ...dm, channel: 'D0LONG', text: 'tell me everything' }, 'EvLONG');
    await until(() => runs() === 2 && fixture.slack.posts().length >= 17);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(texts()).toEqual(parts);
    expect(
      fixture.slack.calls.filter((call) => call.method === 'conversations.history').map((c) => c.status),
    ).toEqual([200, 429]);
    expect(warnings).toContain('could not look for a sent reply: sending it, perhaps again');
  });
});

describe('the looks for replies of a turn run again', () => {
  it('read the DM once for all three replies when Slack refused the first of them', async () => {
    let runs = 0;
    const bot: TurnLogic = async (context) => {
      if (context.activity.type !== 'message') return;
      runs += 1;
      await context.sendActivity('one');
      await context.sendActivity('two');
      await context.sendActivity('three');
    };
    const { base } = await start(bot, false);
    fixture.slack.failCall('chat.postMessage', 1, 'internal_error');
    await deliver(base, { ...dm, channel: 'D0REFUSED', text: 'hi' }, 'EvREFUSED');
    await until(() => runs === 2 && fixture.slack.posts().length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(texts()).toEqual(['one', 'two', 'three']);
    expect(fixture.slack.lookups()).toHaveLength(1);
  });

  it("never hold another conversation's reply while Slack rate limits them", async () => {
    let runsA = 0;
    const bot: TurnLogic = async (context) => {
      if (context.activity.type !== 'message') return;
      if (context.activity.text === 'where is it?') {
        runsA += 1;
        await context.sendActivity('Your order ships tomorrow.');
        if (runsA === 1) throw new Error('killed');
        return;
      }
      await context.sendActivity('hi B');
    };
    const { base } = await start(bot);
    // The 429 asks for 3 s; the posting client would hold all its calls that long if it made the look.
    fixture.slack.rateLimit('conversations.history', 1, 3);
    await deliver(base, { ...dm, channel: 'D0A', text: 'where is it?' }, 'EvA429');
    await until(() => fixture.slack.calls.some((call) => call.method === 'conversations.history'));
    const sentAt = Date.now();
    await deliver(base, { ...dm, channel: 'D0B', user: 'U0BOB', text: 'hello' }, 'EvB429');
    await until(() => texts().includes('hi B'));

    expect(Date.now() - sentAt).toBeLessThan(1_500);
    await until(() => runsA === 2);
  });
});

describe('a Slack reply whose answer was lost', () => {
  it('is posted once: not retried blindly, but found by its key before it would be posted again', async () => {
    const { bot, runs } = cutFirstRun(['Your order ships tomorrow.', 'Anything else?']);
    const { base } = await start(bot, false);
    // Slack posts the first reply, then the connection drops before its answer arrives.
    fixture.slack.dropAnswer('chat.postMessage', 1);
    await deliver(base, { ...dm, channel: 'D0DROPPED', text: 'where is it?' }, 'EvDROPPED');
    await until(() => runs() === 2 && fixture.slack.posts().length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(texts()).toEqual(['Your order ships tomorrow.', 'Anything else?']);
    expect(fixture.slack.lookups()).toHaveLength(1);
  });
});
