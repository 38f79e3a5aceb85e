import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { StoresOptions } from '../../../storage/stores.js';
import { startDoomedServer } from '../../support/doomed-server.js';
import { emulatorActivity, postActivity } from '../../support/invoke-agent.js';
import { ANA, cutTurn, texts, useInvokeFixtures } from '../../support/invoke-fixtures.js';

const { storesOn, agentOn, cleanups } = useInvokeFixtures('replay');

const sum = (points: number[]) => points.reduce((total, delta) => total + delta, 0);

const backends: [string, () => StoresOptions][] = [
  ['one Redis', () => ({ redisUrl: inject('redisUrl') })],
  ['a Redis Cluster', () => ({ redisClusterUrls: inject('redisClusterUrls') })],
  ['memory', () => ({})],
];

describe.each(backends)(
  'a Bot Framework turn run in its request and cut around its state save (%s)',
  (_, backend) => {
    it('answers the retry of an invoke cut after its save with that run’s invoke response, counts it once and pays its win once', async () => {
      const stores = await storesOn(backend());
      cutTurn(stores, '"count":1', 'after');
      const agent = await agentOn(stores);
      const invoke = emulatorActivity('inv-1', 'conv-1');
      expect((await postActivity(agent.base, invoke)).status).toBe(500);
      expect(await postActivity(agent.base, invoke)).toEqual({ status: 200, body: { count: 1, run: 1 } });
      expect(agent.runs).toEqual(['inv-1']);
      expect(await agent.count('conv-1')).toBe(1);
      expect(await agent.points(ANA)).toEqual([10]);
      // The next invoke meets the state the first one left.
      expect(await postActivity(agent.base, emulatorActivity('inv-2', 'conv-1'))).toEqual({
        status: 200,
        body: { count: 2, run: 2 },
      });
      expect(await agent.points(ANA)).toEqual([10, 10]);
    });

    it('answers the retry of an expectReplies message cut after its save with that run’s replies, counted once', async () => {
      const stores = await storesOn(backend());
      cutTurn(stores, '"count":1', 'after');
      const agent = await agentOn(stores);
      const asked = emulatorActivity('msg-1', 'conv-2', {
        type: 'message',
        name: undefined,
        text: 'hello',
        deliveryMode: 'expectReplies',
      });
      expect((await postActivity(agent.base, asked)).status).toBe(500);
      const retried = await postActivity(agent.base, asked);
      expect(retried.status).toBe(200);
      expect(texts(retried.body)).toEqual(['count 1: hello']);
      expect(agent.runs).toEqual(['msg-1']);
      expect(await agent.count('conv-2')).toBe(1);
      // The day's first contact (5) and one win (10).
      expect(sum(await agent.points(ANA))).toBe(15);
    });

    it('runs the retry of an invoke cut before its save, once', async () => {
      const stores = await storesOn(backend());
      cutTurn(stores, '"count":1', 'before');
      const agent = await agentOn(stores);
      const invoke = emulatorActivity('inv-3', 'conv-3');
      expect((await postActivity(agent.base, invoke)).status).toBe(500);
      expect(await postActivity(agent.base, invoke)).toEqual({ status: 200, body: { count: 1, run: 2 } });
      expect(await postActivity(agent.base, invoke)).toEqual({ status: 200, body: { count: 1, run: 2 } });
      expect(agent.runs).toEqual(['inv-3', 'inv-3']);
      expect(await agent.count('conv-3')).toBe(1);
      expect(await agent.points(ANA)).toEqual([10]);
    });
  },
);

describe('a Bot Framework turn run in its request whose side work failed or whose answer expired', () => {
  it('fails the request of an invoke whose points award failed, and pays the points on the retry, which gets the same answer', async () => {
    const stores = await storesOn({ redisUrl: inject('redisUrl') });
    const agent = await agentOn(stores, { failFirstAward: true });
    const invoke = emulatorActivity('inv-4', 'conv-4');
    const failed = await postActivity(agent.base, invoke);
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ code: 'RELEVO_TURN_INCOMPLETE' });
    expect(await agent.points(ANA)).toEqual([]);
    expect(await postActivity(agent.base, invoke)).toEqual({ status: 200, body: { count: 1, run: 1 } });
    expect(await agent.points(ANA)).toEqual([10]);
    expect(await postActivity(agent.base, invoke)).toEqual({ status: 200, body: { count: 1, run: 1 } });
    expect(agent.runs).toEqual(['inv-4']);
    expect(await agent.count('conv-4')).toBe(1);
  });

  it('keeps the answers saved with a conversation’s state under 64 KiB in all, the oldest giving theirs up first', async () => {
    const stores = await storesOn({ redisUrl: inject('redisUrl') });
    const agent = await agentOn(stores);
    for (const id of ['inv-10', 'inv-11', 'inv-12']) {
      const invoke = emulatorActivity(id, 'conv-10', { value: { pad: { card: 'x'.repeat(25_000) } } });
      expect((await postActivity(agent.base, invoke)).status).toBe(200);
    }
    const kept = (await agent.document('conv-10'))?.activityOutbox as { id: string; replies?: unknown }[];
    expect(JSON.stringify(kept).length).toBeLessThanOrEqual(64 * 1024);
    expect(kept.map((outbox) => [outbox.id, outbox.replies !== undefined])).toEqual([
      ['inv-10', false],
      ['inv-11', true],
      ['inv-12', true],
    ]);
  });

  it('posts the message an invoke sends to its conversation once, when its failed side work has the retry replay it', async () => {
    const posted: string[] = [];
    const connector = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      posted.push((JSON.parse(Buffer.concat(chunks).toString()) as { text: string }).text);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `reply-${posted.length}` }));
    });
    await new Promise<void>((resolve) => connector.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(async () => {
      connector.close();
    });
    const stores = await storesOn({ redisUrl: inject('redisUrl') });
    const agent = await agentOn(stores, { failFirstAward: true });
    const invoke = emulatorActivity('inv-9', 'conv-9', {
      serviceUrl: `http://127.0.0.1:${(connector.address() as AddressInfo).port}/`,
      value: { tell: 'your order has shipped' },
    });
    expect((await postActivity(agent.base, invoke)).status).toBe(500);
    expect(await postActivity(agent.base, invoke)).toEqual({ status: 200, body: { count: 1, run: 1 } });
    expect(posted).toEqual(['count 1: your order has shipped']);
    expect(await agent.points(ANA)).toEqual([10]);
  });

  it('answers 409 with a JSON reason, and runs nothing again, to the retry of an invoke cut after its save that comes after its answer expired', async () => {
    const stores = await storesOn({ redisUrl: inject('redisUrl') });
    cutTurn(stores, '"count":1', 'after');
    const agent = await agentOn(stores, { answerTtlMs: 300 });
    const invoke = emulatorActivity('inv-5', 'conv-5');
    expect((await postActivity(agent.base, invoke)).status).toBe(500);
    await sleep(500);
    for (const late of [await postActivity(agent.base, invoke), await postActivity(agent.base, invoke)]) {
      expect(late.status).toBe(409);
      expect(late.body).toMatchObject({ code: 'RELEVO_ACTIVITY_ANSWER_EXPIRED' });
    }
    expect(agent.runs).toEqual(['inv-5']);
    expect(await agent.count('conv-5')).toBe(1);
    expect(await agent.points(ANA)).toEqual([10]);
    // The conversation's next save drops the expired answer from its state and keeps the id.
    expect((await postActivity(agent.base, emulatorActivity('inv-5b', 'conv-5'))).status).toBe(200);
    const kept = (await agent.document('conv-5'))?.activityOutbox as { id: string }[];
    expect(kept.map((outbox) => Object.keys(outbox).sort())).toEqual([
      ['id', 'until'],
      ['id', 'replies', 'until', 'work'],
    ]);
    expect(kept[0]?.id).toBe('inv-5');
    expect((await postActivity(agent.base, invoke)).status).toBe(409);
    expect(agent.runs).toEqual(['inv-5', 'inv-5b']);
  });

  it('answers 409, and runs nothing again, to the retry of an invoke cut after its save whose answer was too large to keep', async () => {
    const stores = await storesOn({ redisUrl: inject('redisUrl') });
    cutTurn(stores, '"count":1', 'after');
    const agent = await agentOn(stores);
    const invoke = emulatorActivity('inv-8', 'conv-8', { value: { pad: { card: 'x'.repeat(70_000) } } });
    expect((await postActivity(agent.base, invoke)).status).toBe(500);
    const retried = await postActivity(agent.base, invoke);
    expect(retried.status).toBe(409);
    expect(retried.body).toMatchObject({ code: 'RELEVO_ACTIVITY_ANSWER_EXPIRED' });
    expect(agent.runs).toEqual(['inv-8']);
    expect(await agent.count('conv-8')).toBe(1);
    expect(await agent.points(ANA)).toEqual([10]);
  });
});

const deployments: [string, () => StoresOptions, () => Record<string, string>][] = [
  ['one Redis', () => ({ redisUrl: inject('redisUrl') }), () => ({ REDIS_URL: inject('redisUrl') })],
  [
    'a Redis Cluster',
    () => ({ redisClusterUrls: inject('redisClusterUrls') }),
    () => ({ REDIS_CLUSTER_URLS: inject('redisClusterUrls').join(',') }),
  ],
];

describe('a Bot Framework process SIGKILLed between a turn’s state save and its record', () => {
  let doomed: ChildProcess | undefined;
  afterEach(() => {
    doomed?.kill('SIGKILL');
    doomed = undefined;
  });

  /** Posts `activity` to a process that dies right after saving `"count":1`; answers its prefix. */
  async function killedOn(env: Record<string, string>, activity: unknown): Promise<string> {
    const prefix = `kill-invoke-${randomUUID().slice(0, 8)}`;
    const first = await startDoomedServer(
      { ...env, REDIS_KEY_PREFIX: prefix, KILL_AFTER_SAVING: '"count":1' },
      'test/support/kill-invoke-child.ts',
    );
    doomed = first.server.child;
    await expect(postActivity(first.base, activity)).rejects.toThrow();
    await first.server.exited();
    expect(first.server.child.signalCode).toBe('SIGKILL');
    doomed = undefined;
    return prefix;
  }

  it.each(deployments)(
    'answers the platform’s retry of the invoke, on another process, with the killed run’s answer, counted once and paid once (%s)',
    async (_name, storesOptions, env) => {
      const invoke = emulatorActivity('inv-6', 'conv-6');
      const prefix = await killedOn(env(), invoke);
      // The retry reaches another process once the dead one's claim and lock lapsed (1 s).
      const agent = await agentOn(await storesOn(storesOptions(), prefix));
      expect(await postActivity(agent.base, invoke)).toEqual({ status: 200, body: { count: 1, run: 1 } });
      expect(agent.runs).toEqual([]);
      expect(await agent.count('conv-6')).toBe(1);
      expect(await agent.points(ANA)).toEqual([10]);
    },
  );

  it('answers the retry of an expectReplies message, on another process, with the killed run’s replies (one Redis)', async () => {
    const asked = emulatorActivity('msg-7', 'conv-7', {
      type: 'message',
      name: undefined,
      text: 'hello',
      deliveryMode: 'expectReplies',
    });
    const prefix = await killedOn({ REDIS_URL: inject('redisUrl') }, asked);
    const agent = await agentOn(await storesOn({ redisUrl: inject('redisUrl') }, prefix));
    const retried = await postActivity(agent.base, asked);
    expect(retried.status).toBe(200);
    expect(texts(retried.body)).toEqual(['count 1: hello']);
    expect(agent.runs).toEqual([]);
    expect(await agent.count('conv-7')).toBe(1);
    expect(sum(await agent.points(ANA))).toBe(15);
  });
});
