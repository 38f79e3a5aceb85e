import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { composeAgent } from '../../../bots/compose-agent.js';
import { loadConfig } from '../../../bots/config.js';
import { createPipeline } from '../../../bots/pipeline.js';
import { silentLogger } from '../../../core/logger.js';
import { StateMiddleware } from '../../../storage/state-middleware.js';
import { type RedisConnection, scanKeys } from '../../../storage/redis-connection.js';
import { createStores, type Stores, type StoresOptions } from '../../../storage/stores.js';
import { customerOf, startDoomedServer } from '../../support/doomed-server.js';
import { stepBot } from '../../support/step-bot.js';
import { startWebChatServer, type WebChatServer } from '../../support/webchat-server.js';

const deployments: [string, () => StoresOptions, () => Record<string, string>][] = [
  ['one Redis', () => ({ redisUrl: inject('redisUrl') }), () => ({ REDIS_URL: inject('redisUrl') })],
  [
    'a Redis Cluster',
    () => ({ redisClusterUrls: inject('redisClusterUrls') }),
    () => ({ REDIS_CLUSTER_URLS: inject('redisClusterUrls').join(',') }),
  ],
];

describe('a web chat process killed between a turn’s state save and its commit', () => {
  let doomed: ChildProcess | undefined;
  let survivor: WebChatServer | undefined;
  afterEach(async () => {
    doomed?.kill('SIGKILL');
    doomed = undefined;
    await survivor?.close();
    survivor = undefined;
  });

  /**
   * Another process on the same stores, which takes over the dead one's turn once it was left for the
   * visibility timeout (1 s); `turns`: its pipeline and bot.
   */
  async function takeOver(
    stores: Stores,
    turns: (stores: Stores) => Promise<Pick<Parameters<typeof startWebChatServer>[0], 'pipeline' | 'bot'>>,
  ) {
    survivor = await startWebChatServer({ stores, ...(await turns(stores)), visibilityMs: 1_000 });
    return survivor.base;
  }

  /** A server process on `env` that kills itself as `env` says, and its customer (a fresh conversation). */
  async function doom(env: Record<string, string>) {
    const first = await startDoomedServer(env);
    doomed = first.server.child;
    return { first, customer: await customerOf(first.base) };
  }

  /** Waits until the doomed server died of its own SIGKILL. */
  async function killed(first: Awaited<ReturnType<typeof startDoomedServer>>) {
    await first.server.exited();
    expect(first.server.child.signalCode).toBe('SIGKILL');
    doomed = undefined;
  }

  async function until(condition: () => Promise<boolean>) {
    const deadline = Date.now() + 15_000;
    while (!(await condition()) && Date.now() < deadline) await sleep(100);
  }

  it.each(deployments)(
    'leaves the customer the killed run’s answer exactly once and the dialog advanced exactly once (%s)',
    async (_name, storesOptions, env) => {
      const prefix = `kill-${randomUUID().slice(0, 8)}`;
      // The process dies once the step-2 state is saved, before the replies and the entry's removal.
      const { first, customer } = await doom({
        ...env(),
        REDIS_KEY_PREFIX: prefix,
        KILL_AFTER_SAVING: '"step":2',
      });
      expect((await customer.post(first.base, 'hello')).status).toBe(200);
      await customer.post(first.base, 'yes please').catch(() => undefined);
      await killed(first);

      const stores = await createStores({ ...storesOptions(), prefix });
      const base = await takeOver(stores, async (on) => {
        const state = new StateMiddleware(on.storage);
        return { pipeline: createPipeline({ stores: on, logger: silentLogger, state }), bot: stepBot(state) };
      });
      await until(async () => (await customer.messages(base)).some((text) => text.startsWith('step 2')));
      expect((await customer.post(base, 'and then?')).status).toBe(200);

      const exchange = [
        'hello',
        'step 1: hello',
        'yes please',
        'step 2: yes please',
        'and then?',
        'step 3: and then?',
      ];
      expect(await customer.messages(base)).toEqual(exchange);
      // The transcript an agent reads back has the same exchange, once.
      const page = await stores.transcripts.getTranscriptActivities('webchat', customer.conversationId);
      const logged = page.items.filter((activity) => activity.type === 'message');
      expect(logged.map((activity) => activity.text)).toEqual(exchange);
    },
  );

  it('counts the customer’s message once when the process died between the two slots of its save (a Redis Cluster)', async () => {
    const prefix = `kill-${randomUUID().slice(0, 8)}`;
    // The customer's state (their message count) sits in another slot than the conversation's (the
    // dialog's step and the outbox), written first: the process dies right after that part landed.
    const { first, customer } = await doom({
      REDIS_CLUSTER_URLS: inject('redisClusterUrls').join(','),
      REDIS_KEY_PREFIX: prefix,
      COUNT_MESSAGES: '1',
      KILL_AFTER_PART: '"messages":2',
    });
    expect((await customer.post(first.base, 'hello')).status).toBe(200);
    await customer.post(first.base, 'yes please').catch(() => undefined);
    await killed(first);

    const stores = await createStores({ redisClusterUrls: inject('redisClusterUrls'), prefix });
    const base = await takeOver(stores, async (on) => {
      const state = new StateMiddleware(on.storage);
      const bot = stepBot(state, { countMessages: true });
      return { pipeline: createPipeline({ stores: on, logger: silentLogger, state }), bot };
    });
    await until(async () => (await customer.messages(base)).some((text) => text.startsWith('step 2')));
    expect((await customer.post(base, 'and then?')).status).toBe(200);

    expect(await customer.messages(base)).toEqual([
      'hello',
      'step 1: hello (message 1)',
      'yes please',
      'step 2: yes please (message 2)',
      'and then?',
      'step 3: and then? (message 3)',
    ]);
  });

  it('records the composed agent’s CSAT answer once and asks NPS next when the process died between the two slots of its save (a Redis Cluster)', async () => {
    const prefix = `kill-${randomUUID().slice(0, 8)}`;
    // The answer "5" is saved in the member's survey state (their slot) before the conversation's dialog
    // state (its slot): the process dies right after the member's part landed.
    const { first, customer } = await doom({
      REDIS_CLUSTER_URLS: inject('redisClusterUrls').join(','),
      REDIS_KEY_PREFIX: prefix,
      AGENT: '1',
      KILL_AFTER_PART: '"csat":[{"score":5',
    });
    for (const text of ['Hi', 'Where is my order?', 'ORD-100002', 'no thanks']) {
      expect((await customer.post(first.base, text)).status).toBe(200);
    }
    expect(await customer.messages(first.base)).toContain('How would you rate this conversation?');
    await customer.post(first.base, '5').catch(() => undefined);
    await killed(first);

    const stores = await createStores({ redisClusterUrls: inject('redisClusterUrls'), prefix });
    const base = await takeOver(stores, async (on) => {
      const config = loadConfig({ PORT: '0', HOST: '127.0.0.1' });
      const agent = await composeAgent({ config, logger: silentLogger, stores: on });
      return { pipeline: agent.pipeline, bot: agent.bot };
    });
    const nps = 'How likely are you to recommend us to a friend, from 0 (not at all) to 10 (very likely)?';
    await until(async () => (await customer.messages(base)).includes(nps));
    expect((await customer.post(base, '9')).status).toBe(200);

    // The dialog and the member's survey state agree: one CSAT answer, then the NPS question (a run
    // again on the cut run's survey state found NPS asked moments ago and only said thanks).
    const texts = await customer.messages(base);
    expect(texts.slice(texts.indexOf('5'))).toEqual(['5', nps, '9', 'Thank you, that helps us a lot.']);
    const keys: string[] = [];
    for await (const batch of scanKeys(stores.redis as RedisConnection, `${prefix}:state:*members/*`)) {
      keys.push(...batch.map((key) => key.slice(key.indexOf('members/'))));
    }
    expect(keys).toHaveLength(1);
    const member = (await stores.storage.read(keys))[keys[0] ?? ''];
    expect(member?.surveys).toMatchObject({ csat: [{ score: 5 }], nps: [{ score: 9 }] });
  });

  it('answers a trivia move of the composed agent once, for the question it was made on', async () => {
    const prefix = `kill-${randomUUID().slice(0, 8)}`;
    // The process dies once the move on question 1 is saved (its answer asks question 2), before the commit.
    const { first, customer } = await doom({
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: prefix,
      AGENT: '1',
      KILL_AFTER_SAVING: 'Question 2 of 5',
    });
    expect((await customer.post(first.base, 'I want to play trivia')).status).toBe(200);
    expect((await customer.messages(first.base)).at(-1)).toMatch(/^Question 1 of 5/);
    await customer.post(first.base, '1').catch(() => undefined);
    await killed(first);

    const stores = await createStores({ redisUrl: inject('redisUrl'), prefix });
    const base = await takeOver(stores, async (on) => {
      const config = loadConfig({ PORT: '0', HOST: '127.0.0.1' });
      const agent = await composeAgent({ config, logger: silentLogger, stores: on });
      return { pipeline: agent.pipeline, bot: agent.bot };
    });
    await until(async () => (await customer.messages(base)).some((text) => text.startsWith('Question 2')));
    expect((await customer.post(base, '1')).status).toBe(200);

    // Each move is answered once, for the question it was made on: the killed one moved to question 2,
    // the next one to question 3 (a re-run of the killed move on the saved board would have answered
    // question 2 with it and asked question 3 straight away).
    const texts = await customer.messages(base);
    const questions = texts.filter((text) => text.startsWith('Question')).map((text) => text.slice(0, 15));
    expect(questions).toEqual(['Question 1 of 5', 'Question 2 of 5', 'Question 3 of 5']);
    const moves = texts.flatMap((text, i) => (text === '1' ? [texts[i + 2]?.slice(0, 15)] : []));
    expect(moves).toEqual(['Question 2 of 5', 'Question 3 of 5']);
  });
});
