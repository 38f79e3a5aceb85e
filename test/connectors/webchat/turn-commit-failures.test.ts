import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TurnContext } from 'botbuilder';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type AgentComposition, composeAgent } from '../../../bots/compose-agent.js';
import { loadConfig } from '../../../bots/config.js';
import { recordLoyaltyEvent } from '../../../gamification/index.js';
import type { Channel } from '../../../core/channel.js';
import { silentLogger } from '../../../core/logger.js';
import { StateMiddleware } from '../../../storage/state-middleware.js';
import { createStores, type Stores, type StoresOptions } from '../../../storage/stores.js';
import { stepBot } from '../../support/step-bot.js';
import { startWebChatServer } from '../../support/webchat-server.js';

interface World {
  agent: AgentComposition;
  stores: Stores;
  channel: Channel;
  domain: string;
  close(): Promise<void>;
}

/** The composed agent's pipeline (memory stores) behind the web chat channel, with `bot` as logic. */
async function open(
  env: Record<string, string>,
  bot: (agent: AgentComposition, state: StateMiddleware) => (context: TurnContext) => Promise<void>,
  storesOptions: StoresOptions = {},
): Promise<World> {
  const stores = await createStores(storesOptions);
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', ...env });
  let logic: (context: TurnContext) => Promise<void> = async () => {};
  const agent = await composeAgent({ config, logger: silentLogger, stores, bot: (c) => logic(c) });
  const state = agent.pipeline.find((m): m is StateMiddleware => m instanceof StateMiddleware);
  if (!state) throw new Error('no state stage');
  logic = bot(agent, state);
  const server = await startWebChatServer({
    stores,
    pipeline: agent.pipeline,
    bot: (c) => logic(c),
    visibilityMs: 1_000,
    secret: config.DIRECTLINE_SECRET,
  });
  return { agent, stores, channel: server.channel, domain: server.domain, close: server.close };
}

async function chat(domain: string, as?: { secret: string; userId: string }) {
  const started = await fetch(`${domain}/conversations`, {
    method: 'POST',
    ...(as && {
      headers: { authorization: `Bearer ${as.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: { id: as.userId } }),
    }),
  });
  const grant = (await started.json()) as { conversationId: string; token: string };
  const headers = { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' };
  const url = `${domain}/conversations/${grant.conversationId}/activities`;
  return {
    conversationId: async () => grant.conversationId,
    post: async (text: string) => {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ type: 'message', text }),
      });
      expect(response.status).toBe(200);
    },
    activities: async () =>
      (
        (await (await fetch(url, { headers })).json()) as {
          activities: { type: string; text?: string; from: { id: string; role?: string } }[];
        }
      ).activities.filter((activity) => activity.type === 'message'),
  };
}

describe('a queued web chat turn that fails or is dropped', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it.each([
    ['in memory', (): StoresOptions => ({})],
    [
      'on Redis',
      (): StoresOptions => ({ redisUrl: inject('redisUrl'), prefix: `test-${randomUUID().slice(0, 8)}` }),
    ],
  ])(
    'shows the answer of the run that saved the state when a loyalty award fails after the save, and takes the dialog one step (%s)',
    async (_name, storesOptions) => {
      world = await open(
        {},
        (agent, state) => {
          // The first CSAT award fails (a Redis blip): the loyalty stage marks the turn incomplete.
          const gamification = agent.loyalty.gamification;
          const award = gamification.award.bind(gamification);
          let failed = false;
          gamification.award = async (event) => {
            if (!failed && event.type === 'csat.answered') {
              failed = true;
              throw new Error('award failed (Redis blip)');
            }
            return award(event);
          };
          const steps = stepBot(state);
          return async (context) => {
            // The first message also answers a survey: its points are awarded after the save.
            if (context.activity.text === 'where is my order?') {
              recordLoyaltyEvent(context, { type: 'csat.answered' });
            }
            await steps(context);
          };
        },
        storesOptions(),
      );
      const customer = await chat(world.domain);
      await customer.post('where is my order?');
      // The queue runs the incomplete turn again after the visibility timeout (1 s here): it finds its
      // state saved and sends the saved answer again (skipped: shown already) instead of taking step 2.
      await sleep(4_000);
      // The award that failed was paid by the second run, which did not run the dialog that recorded it:
      // 5 points for the day's first message and 20 for the survey, each once.
      const member = await world.agent.identity.members.findByKey(
        `webchat:${(await customer.activities())[0]?.from.id}`,
      );
      expect(member && (await world.agent.loyalty.gamification.profile(member.id)).points).toBe(25);
      await customer.post('ORD-100001');
      const exchange = [
        'where is my order?',
        'step 1: where is my order?',
        'ORD-100001',
        'step 2: ORD-100001',
      ];
      // The customer's first message gets the answer of the run whose state was saved, once, and the next
      // one the next step's.
      expect((await customer.activities()).map((activity) => activity.text)).toEqual(exchange);
      // The transcript (what an agent reads back) has the same exchange, once.
      const conversationId = await customer.conversationId();
      const page = await world.stores.transcripts.getTranscriptActivities('webchat', conversationId);
      const messages = page.items.filter((activity) => activity.type === 'message');
      expect(messages.map((activity) => activity.text)).toEqual(exchange);
    },
  );

  it.each([
    ['in memory', (): StoresOptions => ({})],
    [
      'on Redis',
      (): StoresOptions => ({ redisUrl: inject('redisUrl'), prefix: `test-${randomUUID().slice(0, 8)}` }),
    ],
  ])(
    'records nothing of a message the rate limit dropped: no contact, conversation reference, state or transcript (%s)',
    async (_name, storesOptions) => {
      const secret = 'a-site-secret-of-enough-length';
      world = await open(
        { RATE_LIMIT_PER_MINUTE: '1', DIRECTLINE_SECRET: secret },
        () => async (context) => {
          if (context.activity.type === 'message')
            await context.sendActivity(`echo: ${context.activity.text}`);
        },
        storesOptions(),
      );
      // One signed-in customer, two conversations: the second one's messages are over the limit.
      const first = await chat(world.domain, { secret, userId: 'ana' });
      await first.post('one');
      const second = await chat(world.domain, { secret, userId: 'ana' });
      await second.post('two');
      await second.post('three');
      await sleep(500);
      expect((await first.activities()).map((a) => a.text)).toEqual(['one', 'echo: one']);
      expect((await second.activities()).map((a) => a.text)).toEqual([
        'two',
        'You are sending messages faster than I can answer. Please wait a minute and write to me again.',
        'three',
      ]);
      const member = await world.agent.identity.members.findByKey('webchat:ana');
      // One message was let through: one contact, in the first conversation.
      expect(member?.contacts).toEqual({ webchat: 1 });
      expect(member?.conversations.map((c) => c.conversationId)).toEqual([await first.conversationId()]);
      const secondId = await second.conversationId();
      // Nor a way back to the second conversation, its state, or anything in its transcript.
      expect(
        await world.stores.storage.read([
          `references/webchat/${secondId}`,
          `webchat/conversations/${secondId}`,
        ]),
      ).toEqual({});
      const page = await world.stores.transcripts.getTranscriptActivities('webchat', secondId);
      expect(page.items.filter((activity) => activity.type === 'message')).toEqual([]);
    },
  );

  it('keeps the customer’s message in the transcript when its turn fails before anything was saved', async () => {
    world = await open({}, () => async (context) => {
      if (context.activity.type === 'message') throw new Error('the bot broke');
    });
    const customer = await chat(world.domain);
    await customer.post('my parcel never came');
    await sleep(500);
    // No answer was shown, yet an agent (transcript, handoff packet) reads what the customer wrote,
    // even if the message is given up after its failed runs.
    expect((await customer.activities()).map((activity) => activity.text)).toEqual(['my parcel never came']);
    const conversationId = await customer.conversationId();
    const page = await world.stores.transcripts.getTranscriptActivities('webchat', conversationId);
    const messages = page.items.filter((activity) => activity.type === 'message');
    expect(messages.map((activity) => activity.text)).toEqual(['my parcel never came']);
  });
});
