import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Activity } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../../gamification/ledger/redis-ledger.js';
import { NluRecognizer } from '../../nlu-models/index.js';
import { connectRedis, type RedisConnection } from '../../storage/redis-connection.js';
import { RedisTranscriptStore } from '../../storage/redis-transcript-store.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { type RoundRobinProxy, startRoundRobinProxy } from '../support/round-robin-proxy.js';
import { type RelevoProcess, spawnRelevo } from '../support/spawn-relevo.js';

// The figures: 10,000 messages from 500 conversations. CHAOS_CONVERSATIONS shrinks a local run.
const CONVERSATIONS = Number(process.env.CHAOS_CONVERSATIONS ?? 500);
const MESSAGES_EACH = 20;
const KILL_EVERY_MS = 2_000;
/** What `first-contact-of-day` pays a member for their first message of a UTC day. */
const FIRST_CONTACT_POINTS = 5;
/** What the chaos run's extra rule pays for every message (each message id once). */
const MESSAGE_POINTS = 3;
const QUESTIONS = [
  'where is my order ORD-100001',
  'where is my order ORD-100002',
  'where is my order ORD-100003',
  'where is my order ORD-100005',
];

interface Conversation {
  id: string;
  token: string;
}

/** A server process behind the balancer, and since when it has been serving. */
interface Server {
  process: RelevoProcess;
  port: number;
  since: number;
}

describe('chaos: processes killed every 2 s and a Redis restart while 500 customers chat', () => {
  let dataDir: string;
  let redis: RedisServer;
  let client: RedisConnection;
  let proxy: RoundRobinProxy;
  /** The two serving processes; the balancer reads `ports` on every request. */
  const servers: Server[] = [];
  const ports: number[] = [];
  /** Every process the test started (servers, spares, killed ones): none may outlive it. */
  const spawned: RelevoProcess[] = [];
  const prefix = `chaos-${Date.now().toString(36)}`;
  let env: Record<string, string>;

  const start = async (): Promise<Server> => {
    const process = spawnRelevo({ ...env, PORT: '0' });
    spawned.push(process);
    const port = await process.listening();
    return { process, port, since: Date.now() };
  };

  beforeAll(async () => {
    // Trains the retail model into the on-disk cache if no earlier run did, so servers start quickly.
    await NluRecognizer.create({});
    dataDir = await mkdtemp(join(tmpdir(), 'relevo-chaos-'));
    // The shipped programme plus a rule that pays every message, so each message's credit is checked.
    const loyalty = JSON.parse(await readFile('gamification/config/loyalty.json', 'utf8'));
    loyalty.rules.push({ id: 'chaos-message', event: 'message.received', points: MESSAGE_POINTS });
    const loyaltyFile = join(dataDir, 'loyalty.json');
    await writeFile(loyaltyFile, JSON.stringify(loyalty));
    redis = await startRedisServer(undefined, { appendOnlyDir: dataDir });
    client = await connectRedis({ url: redis.url });
    env = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'info',
      // A killed process's conversations are taken over within 2 s.
      INBOUND_VISIBILITY_MS: '2000',
      // 500 customers on one machine: the limiter is on but never in the way.
      RATE_LIMIT_PER_MINUTE: '10000',
      LOYALTY_CONFIG_FILE: loyaltyFile,
    };
    servers.push(...(await Promise.all([start(), start()])));
    ports.push(...servers.map((server) => server.port));
    proxy = await startRoundRobinProxy(ports);
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    // Before Redis stops: a process told to stop drains towards Redis.
    await Promise.all(spawned.map((process) => process.stop()));
    if (client?.isOpen) await client.close();
    await redis?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A customer's HTTP call through the balancer, retried (same body) while a process is down. */
  async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch(`${proxy.url}${path}`, init);
        if (response.ok) return (await response.json()) as T;
        if (response.status < 500 || attempt > 200) {
          throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
        }
      } catch (error) {
        if (attempt > 200) throw error;
        if (error instanceof Error && error.message.startsWith(init.method ?? 'GET')) throw error;
      }
      await sleep(100 + Math.random() * 200);
    }
  }

  const auth = (conversation: Conversation) => ({
    authorization: `Bearer ${conversation.token}`,
    'content-type': 'application/json',
  });

  async function chat(index: number): Promise<Conversation> {
    const grant = await call<{ conversationId: string; token: string }>('/v3/directline/conversations', {
      method: 'POST',
    });
    const conversation = { id: grant.conversationId, token: grant.token };
    for (let i = 0; i < MESSAGES_EACH; i++) {
      await call(`/v3/directline/conversations/${conversation.id}/activities`, {
        method: 'POST',
        headers: auth(conversation),
        body: JSON.stringify({
          type: 'message',
          text: QUESTIONS[(index + i) % QUESTIONS.length],
          locale: 'en-US',
          // What Web Chat sends: a retried post is recognised, never queued twice.
          channelData: { clientActivityID: `c${index}-m${i}` },
        }),
      });
    }
    return conversation;
  }

  async function log(conversation: Conversation): Promise<Partial<Activity>[]> {
    const set = await call<{ activities: Partial<Activity>[] }>(
      `/v3/directline/conversations/${conversation.id}/activities`,
      { headers: auth(conversation) },
    );
    return set.activities.filter((activity) => activity.type === 'message');
  }

  /**
   * Every 2 s, SIGKILLs the server that has been serving longest, mid-turn, and puts a fresh process
   * in its place. A start takes seconds, so replacements are started ahead (two at a time); when none
   * is ready yet the kill waits for the next tick, so the balancer always has two processes.
   */
  function chaos(isDone: () => boolean): { kills: () => number; finished: Promise<void> } {
    let kills = 0;
    const spares: Promise<Server>[] = [];
    const ready: Server[] = [];
    const refill = () => {
      while (!isDone() && spares.length + ready.length < 2) {
        const spare = start();
        spares.push(spare);
        spare.then(
          (server) => {
            spares.splice(spares.indexOf(spare), 1);
            ready.push(server);
          },
          () => {
            // A start that failed (say, while Redis restarted) is dropped; the next tick starts another.
            spares.splice(spares.indexOf(spare), 1);
          },
        );
      }
    };
    const finished = (async () => {
      refill();
      while (!isDone()) {
        await sleep(KILL_EVERY_MS);
        refill();
        const fresh = ready.shift();
        if (isDone() || !fresh) continue;
        const oldest = servers.reduce((a, b) => (a.since <= b.since ? a : b));
        const slot = servers.indexOf(oldest);
        fresh.since = Date.now();
        servers[slot] = fresh;
        ports[slot] = fresh.port;
        oldest.process.child.kill('SIGKILL');
        kills++;
        refill();
      }
      // Spares not needed any more are stopped.
      const starting = await Promise.allSettled(spares);
      for (const spare of [
        ...ready,
        ...starting.flatMap((each) => (each.status === 'fulfilled' ? [each.value] : [])),
      ])
        spare.process.child.kill('SIGTERM');
    })();
    return { kills: () => kills, finished };
  }

  it('answers every message exactly once and in order, loses and doubles no points, and keeps every transcript whole', async () => {
    let done = false;
    const killer = chaos(() => done);
    const began = Date.now();
    const chats = Array.from({ length: CONVERSATIONS }, (_, index) => chat(index));
    // Redis restarts (same port, same AOF folder) once the customers are well under way.
    await sleep(8_000);
    await redis.restart();
    const conversations = await Promise.all(chats);
    done = true;
    await killer.finished;
    expect(killer.kills()).toBeGreaterThan(0);
    process.stdout.write(
      `chaos: ${CONVERSATIONS * MESSAGES_EACH} messages in ${Math.round((Date.now() - began) / 1000)} s, ${killer.kills()} processes killed\n`,
    );

    // Every acknowledged message is answered, however its turn was interrupted.
    const logs = new Map<string, Partial<Activity>[]>();
    await expect
      .poll(
        async () => {
          let answered = 0;
          for (const conversation of conversations) {
            if (answers(logs.get(conversation.id)) === MESSAGES_EACH) {
              answered++;
              continue;
            }
            logs.set(conversation.id, await log(conversation));
            if (answers(logs.get(conversation.id)) === MESSAGES_EACH) answered++;
          }
          return answered;
        },
        { timeout: 120_000, interval: 1_000 },
      )
      .toBe(CONVERSATIONS);
    // A late re-run (a reclaimed turn) would show up as a second reply now.
    await sleep(2 * 2_000);

    const transcripts = new RedisTranscriptStore(client, { prefix });
    for (const [index, conversation] of conversations.entries()) {
      const messages = await log(conversation);
      const asked = messages.filter((activity) => activity.from?.role === 'user');
      // Each message once (a retried post is not echoed twice), in the order it was sent.
      expect(asked.map((activity) => activity.text)).toEqual(
        Array.from({ length: MESSAGES_EACH }, (_, i) => QUESTIONS[(index + i) % QUESTIONS.length]),
      );
      // Replies come in the order of the questions they answer; each question gets its answer once
      // (the order's status) and no reply twice.
      const replies = messages.filter(isBotReply);
      const answering = replies.map((reply) =>
        asked.findIndex((question) => question.id === reply.replyToId),
      );
      expect(
        answering.every((at, i) => at >= 0 && at >= (answering[i - 1] ?? 0)),
        JSON.stringify(messages.map((m) => [m.id, m.from?.role, m.replyToId, m.text?.slice(0, 30)])),
      ).toBe(true);
      for (const question of asked) {
        const own = replies.filter((reply) => reply.replyToId === question.id).map((reply) => reply.text);
        expect(own.filter((text) => text?.startsWith('Order '))).toHaveLength(1);
        expect(own.find((text) => text?.startsWith('Order '))?.slice(6, 16)).toBe(question.text?.slice(-10));
        expect(new Set(own).size).toBe(own.length);
      }
      // The transcript holds every question and every reply, once each.
      const logged = await transcript(transcripts, conversation.id);
      const ids = logged.filter((activity) => activity.type === 'message').map((activity) => activity.id);
      expect(ids.filter((id) => asked.some((activity) => activity.id === id))).toEqual(
        asked.map((activity) => activity.id),
      );
      for (const reply of messages.filter((activity) => activity.from?.role === 'bot')) {
        expect(ids.filter((id) => id === reply.id)).toHaveLength(1);
      }
    }

    // Each customer earned the first-contact points once and every message's points once: a credit
    // lost or doubled anywhere would show in the balance and the number of ledger entries.
    const ledger = new RedisLedger(client, { prefix });
    const balances: number[] = [];
    const entries: number[] = [];
    for await (const memberId of ledger.members()) {
      balances.push((await ledger.balance(memberId)).balance);
      entries.push((await ledger.history(memberId, { limit: 100 })).length);
    }
    expect(balances).toHaveLength(CONVERSATIONS);
    expect(new Set(balances)).toEqual(new Set([FIRST_CONTACT_POINTS + MESSAGES_EACH * MESSAGE_POINTS]));
    expect(new Set(entries)).toEqual(new Set([1 + MESSAGES_EACH]));
    const verify = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'gamification/cli/ledger-verify.ts', '--redis-url', redis.url, '--prefix', prefix],
      { encoding: 'utf8' },
    );
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({
      members: CONVERSATIONS,
      inconsistent: 0,
    });
  }, 600_000);
});

/** How many order-status answers a conversation's log holds. */
function answers(messages: Partial<Activity>[] | undefined): number {
  return (messages ?? []).filter((activity) => isBotReply(activity) && activity.text?.startsWith('Order '))
    .length;
}

/** A reply to a customer's message (the greeting answers the conversation's start, not a message). */
function isBotReply(activity: Partial<Activity>): boolean {
  const to = activity.replyToId ?? '';
  return activity.from?.role === 'bot' && to !== '' && !to.endsWith('|start');
}

async function transcript(store: RedisTranscriptStore, conversationId: string): Promise<Activity[]> {
  const activities: Activity[] = [];
  let token: string | undefined;
  do {
    const page = await store.getTranscriptActivities('webchat', conversationId, token);
    activities.push(...page.items);
    token = page.continuationToken || undefined;
  } while (token);
  return activities;
}
