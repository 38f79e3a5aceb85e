import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTwitterChannel } from '../../../connectors/twitter/index.js';
import type { TurnLogic } from '../../../core/channel.js';
import { InFlightWork } from '../../../core/in-flight.js';
import { createStores } from '../../../storage/stores.js';
import { serveChannel } from '../../support/serve-channel.js';
import {
  cutFirstRun,
  faultyReplyStore,
  type ReplyStoreFault,
  until,
  warningsLogger,
} from '../../support/cut-reply-runs.js';
import { dmEventBody, type FakeX, signedXRequest, startFakeX } from '../../support/fake-x.js';

const SECRET = 'x-consumer-secret-for-lookups';
const OUR_ID = '1000000000000000001';
const ANA = '2000000000000000002';

let fake: FakeX;
let closers: (() => Promise<void>)[] = [];
/** Posts a signed webhook body to the channel {@link start} started last. */
let webhook: (body: string) => Promise<Response>;
const warnings: string[] = [];
const logger = warningsLogger(warnings);

/**
 * The X channel on its own server and memory stores that fail once as `fault` says, with the queue
 * taking a failed turn up again after 300 ms.
 */
async function start(bot: TurnLogic, fault?: ReplyStoreFault): Promise<{ faults: () => number }> {
  const stores = await createStores();
  const { store: idempotency, faults } = faultyReplyStore(stores.idempotency, fault);
  const inFlight = new InFlightWork();
  const channel = createTwitterChannel({
    consumerKey: 'ck',
    consumerSecret: SECRET,
    accessToken: 'at',
    accessSecret: 'as',
    userId: OUR_ID,
    apiUrl: fake.url,
    httpsAgent: fake.agent,
    logger,
    inFlight,
    pipeline: [],
    bot,
    stores: { ...stores, idempotency },
    visibilityMs: 300,
  });
  const { base, close } = await serveChannel(channel, { logger, inFlight, stores });
  closers.push(close);
  webhook = (body) => fetch(`${base}/twitter/webhook`, signedXRequest(SECRET, body));
  return { faults };
}

/** Ana DMs us `text`: X keeps it in our conversation and delivers it to the webhook. */
async function anaDms(text: string): Promise<string> {
  const eventId = fake.keepDm(ANA, ANA, text);
  const body = dmEventBody({ forUserId: OUR_ID, eventId, senderId: ANA, recipientId: OUR_ID, text });
  expect((await webhook(body)).status).toBe(200);
  return eventId;
}

/** Ana complains about us in public: X keeps her post and delivers it to the webhook. */
async function anaPosts(text: string): Promise<string> {
  const postId = fake.customerPost(ANA, text);
  await deliverPost(postId, text);
  return postId;
}

/** Delivers Ana's post `postId` to the webhook. */
async function deliverPost(postId: string, text: string): Promise<void> {
  const body = JSON.stringify({
    for_user_id: OUR_ID,
    tweet_create_events: [
      {
        id_str: postId,
        text,
        timestamp_ms: String(Date.now()),
        lang: 'en',
        user: { id_str: ANA, screen_name: 'ana_buys', name: 'Ana' },
      },
    ],
  });
  expect((await webhook(body)).status).toBe(200);
}

/** Long enough for one more run of the turn, were one coming. */
const oneMoreRun = () => new Promise((resolve) => setTimeout(resolve, 700));

const dmTexts = () => fake.dms().map((dm) => dm.text);
const dmLookups = () => fake.lookups().filter((call) => call.path.endsWith('/dm_events'));
const postLookups = () => fake.lookups().filter((call) => call.path.endsWith('/tweets'));

beforeAll(async () => {
  fake = await startFakeX(OUR_ID);
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.calls.length = 0;
  warnings.length = 0;
});
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});

describe('an X DM whose run died before recording it', () => {
  it('is found in the DM conversation on the next run and not sent again', async () => {
    const { bot, runs } = cutFirstRun(['Your order ships tomorrow.', 'Anything else?']);
    const { faults } = await start(bot);
    const asked = await anaDms('where is it?');
    await until(() => runs() === 2);
    await oneMoreRun();

    expect(faults()).toBe(1);
    expect(dmTexts()).toEqual(['Your order ships tomorrow.', 'Anything else?']);
    // Only the run again looked, once, for the reply it had no record of, in Ana's conversation.
    expect(dmLookups()).toEqual([
      expect.objectContaining({
        path: `/2/dm_conversations/with/${ANA}/dm_events`,
        query: expect.objectContaining({
          'dm_event.fields': 'id,text,sender_id,created_at,event_type,entities',
          event_types: 'MessageCreate',
        }),
      }),
    ]);
    expect(fake.dmEventsWith(ANA).map((event) => event.id)).toContain(asked);
  });

  it("is found despite X's t.co link in its text", async () => {
    const tracking = 'Track it here: https://track.example.com/parcel/1234?lang=en';
    const { bot, runs } = cutFirstRun([tracking]);
    await start(bot);
    await anaDms('where is my parcel?');
    await until(() => runs() === 2);
    await oneMoreRun();

    expect(dmTexts()).toEqual([tracking]);
    expect(fake.dmEventsWith(ANA).at(-1)?.text).toMatch(/^Track it here: https:\/\/t\.co\/\w+/);
    expect(dmLookups()).toHaveLength(1);
  });

  it("is not mistaken for the turn's next reply with the same text, which is sent", async () => {
    // The first run sends one "Noted." and dies; the turn sends two.
    const { bot, runs } = cutFirstRun(['Noted.', 'Noted.'], 1);
    await start(bot);
    await anaDms('my address changed');
    await until(() => runs() === 2 && fake.dms().length === 2);
    await oneMoreRun();

    expect(dmTexts()).toEqual(['Noted.', 'Noted.']);
    expect(dmLookups()).toHaveLength(1);
  });

  it('is looked up once for all the DMs of a rerun, however many have no record', async () => {
    const bot: TurnLogic = async (context) => {
      if (context.activity.type !== 'message') return;
      for (const text of ['one', 'two', 'three']) await context.sendActivity(text);
    };
    await start(bot, 'claim answer lost');
    // The first run's first DM is refused: on the rerun none of the three has a record.
    fake.refuseDmsTo(ANA, 1);
    await anaDms('hi');
    await until(() => fake.dms().length === 3);
    await oneMoreRun();

    expect(dmTexts()).toEqual(['one', 'two', 'three']);
    expect(dmLookups()).toHaveLength(1);
  });

  it('is sent at once, with a warning, when X rate-limits the look, and holds no other DM', async () => {
    const BEN = '3000000000000000003';
    const bot: TurnLogic = async (context) => {
      if (context.activity.type !== 'message') return;
      await context.sendActivity(context.activity.text === 'hello' ? 'hi Ben' : 'Your order ships tomorrow.');
    };
    await start(bot);
    // The window resets in 4 s: the look neither waits for it nor holds Ben's reply meanwhile.
    fake.rateLimit(`/2/dm_conversations/with/${ANA}/dm_events`, 1, Math.ceil(Date.now() / 1000) + 4);
    fake.refuseDmsTo(ANA, 1);
    await anaDms('where is it?');
    await until(() => dmLookups().length === 1);
    const sentAt = Date.now();
    const eventId = fake.keepDm(BEN, BEN, 'hello');
    const body = dmEventBody({
      forUserId: OUR_ID,
      eventId,
      senderId: BEN,
      recipientId: OUR_ID,
      text: 'hello',
    });
    expect((await webhook(body)).status).toBe(200);
    await until(() => dmTexts().includes('hi Ben') && dmTexts().includes('Your order ships tomorrow.'));

    expect(Date.now() - sentAt).toBeLessThan(2_000);
    expect(dmLookups()).toEqual([expect.objectContaining({ status: 429 })]);
    expect(warnings).toContain('could not look for a sent reply: sending it, perhaps again');
  });

  it("is not taken for an earlier turn's reply with the same text sent after this turn's message", async () => {
    const bot: TurnLogic = async (context) => {
      if (context.activity.type !== 'message') return;
      await context.sendActivity('Anything else?');
    };
    await start(bot, 'claim answer lost');
    // Ana writes twice in a row: turn 1's reply goes out after her second message, whose turn X refuses once.
    const first = fake.keepDm(ANA, ANA, 'hi');
    const second = fake.keepDm(ANA, ANA, 'my order is late');
    const deliver = async (eventId: string, text: string) => {
      const body = dmEventBody({ forUserId: OUR_ID, eventId, senderId: ANA, recipientId: OUR_ID, text });
      expect((await webhook(body)).status).toBe(200);
    };
    await deliver(first, 'hi');
    await until(() => fake.dms().length === 1);
    fake.refuseDmsTo(ANA, 1);
    await deliver(second, 'my order is late');
    await until(() => fake.dms().length === 2);
    await oneMoreRun();

    expect(dmTexts()).toEqual(['Anything else?', 'Anything else?']);
  });

  it('is not taken for a DM that differs only in its link, by the link X names', async () => {
    let runs = 0;
    const bot: TurnLogic = async (context) => {
      if (context.activity.type !== 'message') return;
      runs += 1;
      if (runs === 1) {
        // Someone at the brand sends the A link during the first run, which dies before sending B.
        fake.keepDm(ANA, OUR_ID, 'Track it: https://track.example.com/A');
        throw new Error('killed');
      }
      await context.sendActivity('Track it: https://track.example.com/B');
    };
    await start(bot);
    await anaDms('and the other parcel?');
    await until(() => runs === 2);
    await oneMoreRun();

    expect(dmLookups()).toHaveLength(1);
    expect(dmTexts()).toEqual(['Track it: https://track.example.com/B']);
  });
});

describe('the public invitation to a post', () => {
  it('posted by a run that died before recording it is neither posted again nor lost', async () => {
    const { bot, runs } = cutFirstRun(['Your order ships tomorrow.']);
    const { faults } = await start(bot);
    const post = await anaPosts('@relevo_help my order is late');
    await until(() => runs() === 2);
    await oneMoreRun();

    expect(faults()).toBe(1);
    expect(fake.replies()).toEqual([
      { inReplyTo: post, text: expect.stringMatching(/^Thanks for reaching out/) },
    ]);
    expect(dmTexts()).toEqual(['Your order ships tomorrow.']);
    // The run again looked at our own posts since Ana's for our reply to it.
    expect(postLookups()).toEqual([
      expect.objectContaining({
        path: `/2/users/${OUR_ID}/tweets`,
        query: expect.objectContaining({
          since_id: post,
          exclude: 'retweets',
          'tweet.fields': 'referenced_tweets,in_reply_to_user_id',
        }),
      }),
    ]);
  });

  it('posted ten minutes after its claim (held by a rate limit) is found by the next run, not posted again', async () => {
    // An X of its own: its clock moves ahead, which the other tests' ids must not see.
    const shared = fake;
    fake = await startFakeX(OUR_ID);
    try {
      const { bot, runs } = cutFirstRun(['Your order ships tomorrow.']);
      const { faults } = await start(bot);
      const post = fake.customerPost(ANA, '@relevo_help my order is late');
      // The run claims the invitation now; X takes it ten minutes later (a 429 held it in the send
      // queue), so its id and created_at are ten minutes after the claim. Its record then fails.
      fake.moveClock(10 * 60_000);
      await deliverPost(post, '@relevo_help my order is late');
      await until(() => runs() === 2);
      await oneMoreRun();

      expect(faults()).toBe(1);
      const invitations = fake.postsBy(OUR_ID);
      expect(invitations).toHaveLength(1);
      expect(Date.parse(invitations[0]?.created_at ?? '')).toBeGreaterThan(Date.now() + 9 * 60_000);
      expect(fake.replies()).toEqual([
        { inReplyTo: post, text: expect.stringMatching(/^Thanks for reaching out/) },
      ]);
      expect(postLookups()).toHaveLength(1);
      expect(dmTexts()).toEqual(['Your order ships tomorrow.']);
    } finally {
      await Promise.all(closers.splice(0).map((close) => close()));
      await fake.close();
      fake = shared;
    }
  });

  it('claimed by a run that died before posting it is posted on the next run', async () => {
    let runs = 0;
    const bot: TurnLogic = async (context) => {
      runs += 1;
      await context.sendActivity('Your order ships tomorrow.');
    };
    const { faults } = await start(bot, 'claim answer lost');
    const post = await anaPosts('@relevo_help my order is late');
    await until(() => fake.replies().length === 1 && fake.dms().length === 1);
    await oneMoreRun();

    expect(faults()).toBe(1);
    // The first run died at the claim, before the bot ran: only the second ran it.
    expect(runs).toBe(1);
    expect(fake.replies()).toEqual([
      { inReplyTo: post, text: expect.stringMatching(/^Thanks for reaching out/) },
    ]);
    expect(fake.postsBy(OUR_ID).at(-1)?.in_reply_to_user_id).toBe(ANA);
    expect(postLookups()).toHaveLength(1);
  });

  it('is not posted again, with a warning, when X fails the look for it', async () => {
    const { bot, runs } = cutFirstRun(['Your order ships tomorrow.']);
    await start(bot);
    fake.fail(`/2/users/${OUR_ID}/tweets`, 1, 503);
    await anaPosts('@relevo_help my order is late');
    await until(() => runs() === 2);
    await oneMoreRun();

    // Never twice in public: the run again could not tell whether it went out, so it did not post.
    expect(fake.replies()).toHaveLength(1);
    expect(postLookups()).toEqual([expect.objectContaining({ status: 503 })]);
    expect(warnings).toContain('could not look for a sent public reply: not posting it again');
    expect(dmTexts()).toEqual(['Your order ships tomorrow.']);
  });

  it('is not posted again when our posts since it are more than the look reads', async () => {
    let runs = 0;
    const bot: TurnLogic = async (context) => {
      if (context.activity.type !== 'message') return;
      runs += 1;
      // Other customers' invitations, posted while this turn waits for its rerun.
      if (runs === 1) for (let i = 0; i < 201; i++) fake.customerPost(OUR_ID, `invitation ${i}`);
      await context.sendActivity('Your order ships tomorrow.');
      if (runs === 1) throw new Error('killed');
    };
    await start(bot);
    const post = await anaPosts('@relevo_help my order is late');
    await until(() => runs === 2);
    await oneMoreRun();

    expect(postLookups()).toHaveLength(2);
    expect(fake.replies().filter((reply) => reply.inReplyTo === post)).toHaveLength(1);
    expect(warnings).toContain('could not look for a sent public reply: not posting it again');
  });

  it('is not posted again, and waits for nothing, when X rate-limits the look', async () => {
    const { bot, runs } = cutFirstRun(['Your order ships tomorrow.']);
    await start(bot);
    fake.rateLimit(`/2/users/${OUR_ID}/tweets`, 1, Math.ceil(Date.now() / 1000) + 60);
    await anaPosts('@relevo_help my order is late');
    await until(() => runs() === 2);
    await oneMoreRun();

    expect(fake.replies()).toHaveLength(1);
    expect(postLookups()).toEqual([expect.objectContaining({ status: 429 })]);
    expect(dmTexts()).toEqual(['Your order ships tomorrow.']);
  });

  it('refused by X for good is given up with a warning, and the turn goes on with its DMs, once', async () => {
    let runs = 0;
    const bot: TurnLogic = async (context) => {
      if (context.activity.type !== 'message') return;
      runs += 1;
      await context.sendActivity('Your order ships tomorrow.');
    };
    await start(bot);
    // X takes the invitation for a duplicate.
    fake.fail('/2/tweets', 1, 403);
    await anaPosts('@relevo_help my order is late');
    await until(() => fake.dms().length === 1);
    await oneMoreRun();

    expect(fake.replies()).toEqual([]);
    expect(dmTexts()).toEqual(['Your order ships tomorrow.']);
    // Not run again for it: no rerun, no read, no second refused post.
    expect(runs).toBe(1);
    expect(postLookups()).toEqual([]);
    expect(warnings).toContain('X refused the public invitation: the turn goes on without it');
  });
});
