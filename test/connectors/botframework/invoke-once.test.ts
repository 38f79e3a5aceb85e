import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TurnContext } from 'botbuilder';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createHttpServer, type HttpServer } from '../../../bots/http-server.js';
import { createBotFrameworkChannel } from '../../../connectors/botframework/index.js';
import { InFlightWork } from '../../../core/in-flight.js';
import { silentLogger } from '../../../core/logger.js';
import { activityResource } from '../../../storage/activity-claims.js';
import { DedupeMiddleware } from '../../../storage/dedupe-middleware.js';
import { scanKeys } from '../../../storage/redis-connection.js';
import { createStores, type Stores, type StoresOptions } from '../../../storage/stores.js';

/** What the bot does with an invoke on each run (1 = first). */
type InvokeLogic = (context: TurnContext, run: number) => Promise<void>;

interface Agent {
  base: string;
  stores: Stores;
  /** Ids of the activities each run was for, in order. */
  runs: string[];
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/**
 * The Bot Framework channel on `backend`'s stores (default: the suite's Redis) with the pipeline's
 * dedupe stage in front of `logic` (an Emulator on loopback: no JWT). `waitMs`: how long a retry waits
 * for a delivery still running; `answerTtlMs`: how long a finished turn's answer is kept.
 */
async function startAgent(
  logic: InvokeLogic,
  options: { waitMs?: number; answerTtlMs?: number; backend?: StoresOptions } = {},
): Promise<Agent> {
  const backend = options.backend ?? { redisUrl: inject('redisUrl') };
  const stores = await createStores({ ...backend, prefix: `invoke-${randomUUID()}` });
  const runs: string[] = [];
  const inFlight = new InFlightWork();
  const channel = createBotFrameworkChannel({
    credentials: {},
    pipeline: [
      new DedupeMiddleware(stores.activities, {
        waitMs: options.waitMs ?? 5_000,
        ...(options.answerTtlMs === undefined ? {} : { answerTtlMs: options.answerTtlMs }),
      }),
    ],
    bot: async (context) => {
      if (context.activity.type === 'conversationUpdate') return;
      runs.push(context.activity.id ?? '');
      await logic(context, runs.length);
    },
    inFlight,
    logger: silentLogger,
    stores,
  });
  const server: HttpServer = createHttpServer(silentLogger);
  channel.mount(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  close = async () => {
    server.close();
    await inFlight.drain(5_000);
    await channel.close?.();
    await stores.close();
  };
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stores, runs };
}

function invoke(id: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'invoke',
    name: 'composeExtension/query',
    id,
    channelId: 'emulator',
    serviceUrl: 'http://127.0.0.1:9/',
    conversation: { id: 'emulator-conv-9' },
    from: { id: 'user-7', name: 'Ana' },
    recipient: { id: 'bot', name: 'Relevo' },
    value: { query: 'ORD-100002' },
    ...extra,
  };
}

async function post(base: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Answers the invoke with a card naming the run that made it, so a replayed answer is recognisable. */
async function answer(context: TurnContext, run: number): Promise<void> {
  await context.sendActivity({
    type: 'invokeResponse',
    value: { status: 200, body: { composeExtension: { text: `Order ORD-100002 has shipped (run ${run})` } } },
  });
}

describe('Bot Framework invokes and expectReplies, run in their request', () => {
  it("answers an invoke whose id another conversation used before with its own result, never the other customer's", async () => {
    const agent = await startAgent(async (context) => {
      const name = context.activity.from.name;
      await context.sendActivity({ type: 'invokeResponse', value: { status: 200, body: { for: name } } });
    });
    // Ids are unique per conversation only: two customers' invokes may carry the same one.
    const ana = await post(agent.base, invoke('1700000000000', { conversation: { id: 'conv-ana' } }));
    const bob = await post(
      agent.base,
      invoke('1700000000000', { conversation: { id: 'conv-bob' }, from: { id: 'user-8', name: 'Bob' } }),
    );
    expect(ana).toEqual({ status: 200, body: { for: 'Ana' } });
    expect(bob).toEqual({ status: 200, body: { for: 'Bob' } });
    expect(agent.runs).toEqual(['1700000000000', '1700000000000']);
  });

  it('keeps a finished invoke’s answer, which erasing the member does not find, for two minutes at most', async () => {
    const agent = await startAgent(answer);
    expect((await post(agent.base, invoke('inv-7'))).status).toBe(200);
    const redis = agent.stores.redis;
    if (!redis) throw new Error('the stores run on Redis');
    const answers: string[] = [];
    for await (const batch of scanKeys(redis, `${agent.stores.prefix}:once:answer:*`)) answers.push(...batch);
    expect(answers).toHaveLength(1);
    const ttl = await redis.pTTL(answers[0] as string);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2 * 60 * 1000);
  });

  it('runs a failed invoke again when the platform retries it, and answers the retry with its result', async () => {
    const agent = await startAgent(async (context, run) => {
      if (run === 1) throw new Error('the order service timed out');
      await answer(context, run);
    });
    const failed = await post(agent.base, invoke('inv-1'));
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ code: 'RELEVO_BOTFRAMEWORK_TURN_FAILED' });
    const retried = await post(agent.base, invoke('inv-1'));
    expect(retried).toEqual({
      status: 200,
      body: { composeExtension: { text: 'Order ORD-100002 has shipped (run 2)' } },
    });
    expect(agent.runs).toEqual(['inv-1', 'inv-1']);
  });

  it('answers a retry of a finished invoke with the same status and body, without running it again', async () => {
    const agent = await startAgent(async (context, run) => {
      await context.sendActivity({ type: 'invokeResponse', value: { status: 202, body: { run } } });
    });
    const first = await post(agent.base, invoke('inv-2'));
    expect(first).toEqual({ status: 202, body: { run: 1 } });
    expect(await post(agent.base, invoke('inv-2'))).toEqual(first);
    expect(agent.runs).toEqual(['inv-2']);
  });

  it('answers 409 with a JSON reason, and runs nothing again, to a retry of a finished invoke or expectReplies message that comes after its answer expired', async () => {
    const agent = await startAgent(
      async (context, run) => {
        if (context.activity.type === 'invoke') await answer(context, run);
        else await context.sendActivity(`Your order has shipped (run ${run}).`);
      },
      { answerTtlMs: 200 },
    );
    const asked = invoke('msg-10', { type: 'message', name: undefined, deliveryMode: 'expectReplies' });
    expect((await post(agent.base, invoke('inv-10'))).status).toBe(200);
    expect((await post(agent.base, asked)).status).toBe(200);
    await sleep(400);
    for (const late of [await post(agent.base, invoke('inv-10')), await post(agent.base, asked)]) {
      expect(late.status).toBe(409);
      expect(late.body).toMatchObject({ code: 'RELEVO_ACTIVITY_ANSWER_EXPIRED' });
    }
    expect(agent.runs).toEqual(['inv-10', 'msg-10']);
  });

  it('answers a late retry of an invoke or expectReplies message its bot left unanswered as it answered the first delivery', async () => {
    const agent = await startAgent(async () => {}, { answerTtlMs: 200 });
    const asked = invoke('msg-11', { type: 'message', name: undefined, deliveryMode: 'expectReplies' });
    const first = await post(agent.base, invoke('inv-11'));
    const firstAsked = await post(agent.base, asked);
    expect(firstAsked).toEqual({ status: 200, body: { activities: [] } });
    await sleep(400);
    expect(await post(agent.base, invoke('inv-11'))).toEqual(first);
    expect(await post(agent.base, asked)).toEqual(firstAsked);
    expect(agent.runs).toEqual(['inv-11', 'msg-11']);
  });

  it('answers a retried expectReplies message with the replies of its one run', async () => {
    const agent = await startAgent(async (context, run) => {
      await context.sendActivity(`Your order has shipped (run ${run}).`);
    });
    const message = invoke('msg-3', { type: 'message', name: undefined, text: 'where is my order?' });
    const asked = { ...message, deliveryMode: 'expectReplies' };
    const first = await post(agent.base, asked);
    expect(first.status).toBe(200);
    const texts = (body: unknown) =>
      (body as { activities: { text: string }[] }).activities.map((a) => a.text);
    expect(texts(first.body)).toEqual(['Your order has shipped (run 1).']);
    const retried = await post(agent.base, asked);
    expect(retried.status).toBe(200);
    expect(texts(retried.body)).toEqual(['Your order has shipped (run 1).']);
    expect(agent.runs).toEqual(['msg-3']);
  });

  it('runs concurrent deliveries of one invoke once, and answers each with its result', async () => {
    const agent = await startAgent(async (context, run) => {
      await sleep(300);
      await answer(context, run);
    });
    const answers = await Promise.all([1, 2, 3].map(() => post(agent.base, invoke('inv-4'))));
    const expected = {
      status: 200,
      body: { composeExtension: { text: 'Order ORD-100002 has shipped (run 1)' } },
    };
    expect(answers).toEqual([expected, expected, expected]);
    expect(agent.runs).toEqual(['inv-4']);
  });

  it('runs an invoke whose first delivery died mid-turn once that delivery’s claim lapses', async () => {
    const agent = await startAgent(answer, { waitMs: 5_000 });
    // A process took the invoke and was killed: its claim is left, extended no more.
    await agent.stores.locks.acquire(activityResource('emulator', 'emulator-conv-9', 'inv-5'), {
      ttlMs: 800,
    });
    const retried = await post(agent.base, invoke('inv-5'));
    expect(retried).toEqual({
      status: 200,
      body: { composeExtension: { text: 'Order ORD-100002 has shipped (run 1)' } },
    });
    expect(agent.runs).toEqual(['inv-5']);
  });

  it('answers 409 with a JSON reason to a retry that outwaits a delivery still running, and the result after', async () => {
    const agent = await startAgent(
      async (context, run) => {
        await sleep(1_500);
        await answer(context, run);
      },
      { waitMs: 300 },
    );
    const first = post(agent.base, invoke('inv-6'));
    await sleep(100);
    const early = await post(agent.base, invoke('inv-6'));
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'RELEVO_ACTIVITY_IN_PROGRESS' });
    const expected = {
      status: 200,
      body: { composeExtension: { text: 'Order ORD-100002 has shipped (run 1)' } },
    };
    expect(await first).toEqual(expected);
    expect(await post(agent.base, invoke('inv-6'))).toEqual(expected);
    expect(agent.runs).toEqual(['inv-6']);
  });
});

/** The stores of a Redis Cluster and of memory: the dedupe stage keeps its promises on each. */
const backends: [string, () => StoresOptions][] = [
  ['a Redis Cluster', () => ({ redisClusterUrls: inject('redisClusterUrls') })],
  ['memory', () => ({})],
];

describe.each(backends)('Bot Framework invokes on %s', (_, backend) => {
  it('runs a failed invoke again on retry, answers a finished one as before, and never mixes conversations', async () => {
    const agent = await startAgent(
      async (context, run) => {
        if (run === 1) throw new Error('the order service timed out');
        await context.sendActivity({
          type: 'invokeResponse',
          value: { status: 200, body: { for: context.activity.from.name, run } },
        });
      },
      { backend: backend() },
    );
    expect((await post(agent.base, invoke('inv-8'))).status).toBe(500);
    expect(await post(agent.base, invoke('inv-8'))).toEqual({ status: 200, body: { for: 'Ana', run: 2 } });
    expect(await post(agent.base, invoke('inv-8'))).toEqual({ status: 200, body: { for: 'Ana', run: 2 } });
    const bob = invoke('inv-8', { conversation: { id: 'conv-bob' }, from: { id: 'user-8', name: 'Bob' } });
    expect(await post(agent.base, bob)).toEqual({ status: 200, body: { for: 'Bob', run: 3 } });
  });

  it('answers 409 with a JSON reason, and runs nothing again, to a retry of a finished invoke after its answer expired', async () => {
    const agent = await startAgent(answer, { answerTtlMs: 200, backend: backend() });
    expect((await post(agent.base, invoke('inv-12'))).status).toBe(200);
    await sleep(400);
    const late = await post(agent.base, invoke('inv-12'));
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'RELEVO_ACTIVITY_ANSWER_EXPIRED' });
    expect(agent.runs).toEqual(['inv-12']);
  });

  it('runs concurrent deliveries of one invoke once, and answers each with its result', async () => {
    const agent = await startAgent(
      async (context, run) => {
        await sleep(300);
        await answer(context, run);
      },
      { backend: backend() },
    );
    const answers = await Promise.all([1, 2, 3].map(() => post(agent.base, invoke('inv-9'))));
    const expected = {
      status: 200,
      body: { composeExtension: { text: 'Order ORD-100002 has shipped (run 1)' } },
    };
    expect(answers).toEqual([expected, expected, expected]);
    expect(agent.runs).toEqual(['inv-9']);
  });
});
