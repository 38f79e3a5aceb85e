import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type ConversationReference, MessageFactory, TurnContext } from 'botbuilder';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpServer } from '../../../bots/http-server.js';
import { createPipeline } from '../../../bots/pipeline.js';
import { createTwitterChannel } from '../../../connectors/twitter/index.js';
import type { Channel, TurnLogic } from '../../../core/channel.js';
import type { Clock } from '../../../core/clock.js';
import { InFlightWork } from '../../../core/in-flight.js';
import { type Logger, silentLogger } from '../../../core/logger.js';
import { createStores, type Stores } from '../../../storage/stores.js';
import { dmEventBody, type FakeX, signedXRequest, startFakeX } from '../../support/fake-x.js';

const SECRET = 'x-consumer-secret-for-tests';
const OUR_ID = '1000000000000000001';
const ANA = '2000000000000000002';

let fake: FakeX;
let server: HttpServer | undefined;
let stores: Stores;
let channel: Channel;
let base: string;
let turns: string[];
let handoffs: Partial<ConversationReference>[];
let slept: number[];
let clock: Clock & { nowMs: number | undefined };
let inFlight: InFlightWork;
/** The channel's warnings, each with its message. */
let warnings: Record<string, unknown>[];
const logger: Logger = {
  ...silentLogger,
  warn: (fields, message) => void warnings.push({ ...(fields as object), message }),
  child: () => logger,
};

const bot: TurnLogic = async (context) => {
  if (context.activity.type !== 'message') return;
  const text = context.activity.text ?? '';
  turns.push(text);
  if (text === 'Talk to a person') {
    handoffs.push(TurnContext.getConversationReference(context.activity));
    await context.sendActivity('Connecting you to a person now.');
    return;
  }
  await context.sendActivity({ type: 'typing' });
  await context.sendActivity(
    MessageFactory.suggestedActions(['Where is my order?', 'Talk to a person'], `You said: ${text}`),
  );
};

async function start(): Promise<void> {
  stores = await createStores();
  inFlight = new InFlightWork();
  channel = createTwitterChannel({
    consumerKey: 'ck',
    consumerSecret: SECRET,
    accessToken: 'at',
    accessSecret: 'as',
    userId: OUR_ID,
    apiUrl: fake.url,
    httpsAgent: fake.agent,
    logger,
    inFlight,
    pipeline: createPipeline({ stores, logger: silentLogger }),
    bot,
    stores,
    clock,
    sleep: async (ms) => {
      slept.push(ms);
    },
    // Stands in for the NLU's sentiment analyser.
    sentiment: (text) => ({ label: /terrible|angry/i.test(text) ? 'negative' : 'neutral', score: -0.8 }),
    // A failed turn is taken up again by the queue's consumer after this long.
    visibilityMs: 1_000,
  });
  await channel.start();
  server = createHttpServer(silentLogger);
  channel.mount(server);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function dm(text: string, eventId: string, options: { from?: string; createdMs?: number } = {}): string {
  const sender = options.from ?? ANA;
  return dmEventBody({
    forUserId: OUR_ID,
    eventId,
    senderId: sender,
    recipientId: sender === OUR_ID ? ANA : OUR_ID,
    text,
    ...(options.createdMs === undefined ? {} : { createdMs: options.createdMs }),
  });
}

function mention(text: string, tweetId: string, options: { from?: string; lang?: string } = {}): string {
  return JSON.stringify({
    for_user_id: OUR_ID,
    tweet_create_events: [
      {
        created_at: 'Wed Nov 22 10:00:00 +0000 2026',
        id: Number(tweetId),
        id_str: tweetId,
        text,
        timestamp_ms: String(Date.now()),
        lang: options.lang ?? 'en',
        in_reply_to_status_id_str: null,
        user: {
          id: Number(options.from ?? ANA),
          id_str: options.from ?? ANA,
          screen_name: 'ana_buys',
          name: 'Ana',
        },
        entities: { user_mentions: [{ id_str: OUR_ID, screen_name: 'relevo_help' }] },
      },
    ],
  });
}

const webhook = (body: string) => fetch(`${base}/twitter/webhook`, signedXRequest(SECRET, body));
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

beforeAll(async () => {
  fake = await startFakeX(OUR_ID);
});
afterAll(async () => {
  await fake.close();
});
beforeEach(async () => {
  fake.calls.length = 0;
  turns = [];
  warnings = [];
  handoffs = [];
  slept = [];
  clock = { nowMs: undefined, now: () => clock.nowMs ?? Date.now() };
  await start();
});
afterEach(async () => {
  // Turns outlive their webhook request: let them finish, so none spills into the next test.
  await inFlight.drain(5_000);
  await channel.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await stores.close();
});

describe('the X channel', () => {
  it("answers X's challenge-response check with the HMAC of the token under the consumer secret", async () => {
    const response = await fetch(`${base}/twitter/webhook?crc_token=challenge-42`);
    const expected = `sha256=${createHmac('sha256', SECRET).update('challenge-42').digest('base64')}`;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ response_token: expected });
    const missing = await fetch(`${base}/twitter/webhook`);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: 'RELEVO_X_CRC' });
  });

  it('answers a DM by DM, with the suggested actions as numbered options', async () => {
    const response = await webhook(dm('Hi', '1700000000000000001'));
    expect(response.status).toBe(200);
    await fake.waitFor(() => fake.dms().length === 1);
    expect(fake.dms()).toEqual([
      { to: ANA, text: 'You said: Hi\n\n1. Where is my order?\n2. Talk to a person' },
    ]);
    expect(fake.calls[0]?.authorization).toMatch(/^OAuth .*oauth_consumer_key="ck".*oauth_token="at"/);
  });

  it('replies exactly once to a DM event X delivers four times', async () => {
    const body = dm('Where is my order?', '1700000000000000002');
    const statuses = await Promise.all([webhook(body), webhook(body)]).then((all) =>
      all.map((r) => r.status),
    );
    statuses.push((await webhook(body)).status, (await webhook(body)).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    await fake.waitFor(() => fake.dms().length === 1);
    await settle();
    expect(fake.dms()).toHaveLength(1);
    expect(turns).toEqual(['Where is my order?']);
  });

  it('rejects forged and unsigned webhooks with 401, and signed malformed ones with 400, running no turn', async () => {
    const body = dm('forged', '1700000000000000003');
    const forged = await fetch(`${base}/twitter/webhook`, signedXRequest('wrong-secret', body));
    const unsigned = await fetch(`${base}/twitter/webhook`, { method: 'POST', body });
    for (const response of [forged, unsigned]) {
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ code: 'RELEVO_X_SIGNATURE', message: expect.any(String) });
    }
    const malformed = await webhook('{"direct_message_events": [');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'RELEVO_X_MALFORMED' });
    // Well-formed JSON that is not the documented body (the fuzz found the first a 500).
    for (const [body, field] of [
      ['{"direct_message_events": {}}', 'direct_message_events'],
      ['{"tweet_create_events": "1900000000000000009"}', 'tweet_create_events'],
      ['{"for_user_id": 1000000000000000001}', 'for_user_id'],
    ]) {
      const response = await webhook(body as string);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        code: 'RELEVO_X_MALFORMED',
        message: expect.stringContaining(field as string),
      });
    }
    expect(warnings).toHaveLength(4);
    expect(warnings.every((warning) => warning.message === 'X webhook refused as malformed')).toBe(true);
    await settle();
    expect(turns).toEqual([]);
    expect(fake.calls).toEqual([]);
  });

  it('runs the sound events of a body exactly once and skips, with a warning, each that lacks a field its turn reads', async () => {
    const BOB = '3000000000000000003';
    const {
      direct_message_events: [sound],
      users,
    } = JSON.parse(dm('Where is my order?', '1700000000000000010'));
    const {
      tweet_create_events: [post],
    } = JSON.parse(mention('@relevo_help my parcel is late', '1900000000000000010'));
    const body = JSON.stringify({
      for_user_id: OUR_ID,
      direct_message_events: [
        sound,
        { ...sound, id: undefined },
        { ...sound, id: '1700000000000000011', message_create: { ...sound.message_create, sender_id: BOB } },
        7,
      ],
      tweet_create_events: [post, { ...post, id_str: 11 }, null],
      // Only each sender's entry is read: another user's odd one does not matter.
      users: { ...users, [BOB]: { id: BOB, screen_name: 7 }, '4000000000000000004': 'odd' },
    });
    for (const _delivery of [1, 2]) {
      const response = await webhook(body);
      expect(response.status).toBe(200);
    }
    await fake.waitFor(() => turns.length === 2);
    await settle();
    expect(turns).toEqual(['Where is my order?', '@relevo_help my parcel is late']);
    const skipped = warnings.filter((warning) => warning.message === 'X event skipped as malformed');
    const once = [
      { source: 'dm', reason: 'id: Invalid input: expected string, received undefined' },
      {
        source: 'dm',
        eventId: '1700000000000000011',
        reason: 'users[sender].screen_name: Invalid input: expected string, received number',
      },
      { source: 'tweet', reason: 'id_str: Invalid input: expected string, received number' },
    ].map((warning) => ({ ...warning, message: 'X event skipped as malformed' }));
    expect(skipped).toEqual([...once, ...once]);
    expect(JSON.stringify(warnings)).not.toMatch(/order|parcel/);
  });

  it('acknowledges a body whose only turn is malformed, running nothing', async () => {
    const {
      direct_message_events: [sound],
    } = JSON.parse(dm('hi', '1700000000000000012'));
    const broken = { ...sound, message_create: { ...sound.message_create, sender_id: 42 } };
    const response = await webhook(JSON.stringify({ for_user_id: OUR_ID, direct_message_events: [broken] }));
    expect(response.status).toBe(200);
    await settle();
    expect(turns).toEqual([]);
    expect(warnings).toEqual([
      expect.objectContaining({
        source: 'dm',
        eventId: '1700000000000000012',
        reason: expect.stringContaining('message_create.sender_id'),
      }),
    ]);
  });

  it('ignores the DMs and posts of its own account that X echoes back', async () => {
    await webhook(dm('our own reply', '1700000000000000004', { from: OUR_ID }));
    await webhook(mention('our own post', '1900000000000000004', { from: OUR_ID }));
    await settle();
    expect(turns).toEqual([]);
    expect(fake.calls).toEqual([]);
  });

  it('refuses an event older than the dedupe window, so an old captured request cannot be replayed', async () => {
    const sixDaysAgo = Date.now() - 6 * 24 * 60 * 60 * 1000;
    expect((await webhook(dm('old news', '1700000000000000005', { createdMs: sixDaysAgo }))).status).toBe(
      200,
    );
    await settle();
    expect(turns).toEqual([]);
  });

  it('answers a public complaint once in public, inviting to DM, and continues in DM with the same customer', async () => {
    await webhook(mention('@relevo_help my order is late, this is terrible', '1900000000000000010'));
    await fake.waitFor(() => fake.replies().length === 1 && fake.dms().length === 1);
    expect(fake.replies()).toEqual([
      {
        inReplyTo: '1900000000000000010',
        text: `Thanks for reaching out. So we can help without sharing your details in public, let's continue by DM: https://x.com/messages/compose?recipient_id=${OUR_ID}`,
      },
    ]);
    expect(fake.dms()[0]?.to).toBe(ANA);
    // The customer answers in DM: same conversation, same identity key.
    await webhook(dm('It is order 1234', '1700000000000000011'));
    await fake.waitFor(() => fake.dms().length === 2);
    expect(fake.replies()).toHaveLength(1);
    // The transcript logs a reply once X confirmed it: it may land just after the fake saw the DM.
    await expect
      .poll(async () => (await stores.transcripts.getTranscriptActivities('x', `dm:${ANA}`)).items.length)
      .toBe(5);
    const transcript = await stores.transcripts.getTranscriptActivities('x', `dm:${ANA}`);
    const inbound = transcript.items.filter((activity) => activity.from?.role === 'user');
    expect(inbound.map((activity) => [activity.from.id, activity.text])).toEqual([
      [`x:${ANA}`, '@relevo_help my order is late, this is terrible'],
      [`x:${ANA}`, 'It is order 1234'],
    ]);
    // What was really sent is logged under X's own ids: the public reply's post id, then DM event ids.
    const sent = transcript.items.filter((activity) => activity.from?.role !== 'user');
    expect(sent.map((activity) => activity.id)).toEqual([
      ...fake
        .postsBy(OUR_ID)
        .slice(-1)
        .map((post) => post.id),
      ...fake
        .dmEventsWith(ANA)
        .slice(-2)
        .map((event) => event.id),
    ]);
    expect(inbound[0]?.channelData.x).toMatchObject({
      source: 'tweet',
      tweetId: '1900000000000000010',
      sentiment: { label: 'negative' },
    });
  });

  it('answers a public post X delivers four times with one public reply and one DM', async () => {
    const body = mention('@relevo_help still waiting', '1900000000000000015');
    for (let i = 0; i < 4; i++) expect((await webhook(body)).status).toBe(200);
    await fake.waitFor(() => fake.replies().length === 1 && fake.dms().length === 1);
    await settle();
    expect([fake.replies().length, fake.dms().length]).toEqual([1, 1]);
  });

  it('runs a turn again when X refused its DM, without a second public reply', async () => {
    fake.refuseDmsTo(ANA, 1);
    expect((await webhook(mention('@relevo_help where is my parcel?', '1900000000000000016'))).status).toBe(
      200,
    );
    await fake.waitFor(() => fake.dms().length === 1, 10_000);
    await settle();
    expect(fake.replies()).toHaveLength(1);
    expect(fake.dms()).toEqual([{ to: ANA, text: expect.stringMatching(/^You said: /) }]);
    // The first run sent the public invitation, then X refused the DM; the second sent only the DM.
    expect(turns).toHaveLength(2);
  });

  it('invites a Spanish-speaking customer in Spanish', async () => {
    await webhook(mention('@relevo_help mi pedido no llega', '1900000000000000020', { lang: 'es' }));
    await fake.waitFor(() => fake.replies().length === 1);
    expect(fake.replies()[0]?.text).toMatch(/^Gracias por escribirnos\. .*mensaje directo/);
  });

  it('waits for x-rate-limit-reset on a 429, then delivers queued DMs in order', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    clock.nowMs = nowSeconds * 1000;
    fake.rateLimit('/2/dm_conversations/', 1, nowSeconds + 30);
    await webhook(dm('first', '1700000000000000030'));
    await webhook(dm('second', '1700000000000000031'));
    await fake.waitFor(() => fake.dms().length === 2);
    expect(slept).toEqual([30_000]);
    expect(fake.calls.map((call) => call.status)).toEqual([429, 201, 201]);
    expect(fake.dms().map((message) => message.text.split('\n')[0])).toEqual([
      'You said: first',
      'You said: second',
    ]);
  });

  it("holds a whole DM conversation and delivers a human agent's replies by DM during a handoff", async () => {
    await webhook(dm('Hi', '1700000000000000040'));
    await fake.waitFor(() => fake.dms().length === 1);
    await webhook(dm('Talk to a person', '1700000000000000041'));
    await fake.waitFor(() => fake.dms().length === 2);
    const [reference] = handoffs;
    expect(reference?.user?.id).toBe(`x:${ANA}`);
    await channel.adapter?.continueConversation(reference ?? {}, async (context) => {
      await context.sendActivity('Hi Ana, Sam here from support. Let me check order 1234.');
    });
    expect(fake.dms()).toEqual([
      { to: ANA, text: 'You said: Hi\n\n1. Where is my order?\n2. Talk to a person' },
      { to: ANA, text: 'Connecting you to a person now.' },
      { to: ANA, text: 'Hi Ana, Sam here from support. Let me check order 1234.' },
    ]);
    expect(fake.replies()).toEqual([]);
  });
});
