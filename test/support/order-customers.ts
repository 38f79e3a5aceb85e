import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Activity } from 'botbuilder';
import { expect } from 'vitest';
import { RedisLedger } from '../../gamification/ledger/redis-ledger.js';
import { RedisMemberStore } from '../../identity/redis-member-store.js';
import type { RedisConnection } from '../../storage/redis-connection.js';
import { RedisTranscriptStore } from '../../storage/redis-transcript-store.js';

/**
 * Web chat customers asking for their orders' status through a balancer while processes or Redis
 * nodes fail under them (test/e2e/chaos.test.ts, test/e2e/cluster-failover.test.ts), and the checks
 * that every message was answered once, every transcript is whole and every point credited once.
 */

/** What `first-contact-of-day` pays a member for their first message of a UTC day. */
export const FIRST_CONTACT_POINTS = 5;
/** What {@link loyaltyPayingEveryMessage}'s extra rule pays for every message (each message id once). */
export const MESSAGE_POINTS = 3;
const QUESTIONS = [
  'where is my order ORD-100001',
  'where is my order ORD-100002',
  'where is my order ORD-100003',
  'where is my order ORD-100005',
];

export interface Conversation {
  id: string;
  token: string;
}

/** How many first contacts a customer earned: one per UTC day of their messages, within a range. */
export interface FirstContacts {
  /** The customer's identity key (`webchat:<user id>`). */
  key: string;
  min: number;
  max: number;
}

/**
 * Writes the shipped loyalty programme (first contact paid once a UTC day) plus a rule paying every
 * message into `dir`; returns the file. A run crossing midnight pays a member's first contact again on
 * the new day, which the ledger check expects ({@link firstContactsOf}).
 */
export async function loyaltyPayingEveryMessage(dir: string): Promise<string> {
  const loyalty = JSON.parse(await readFile('gamification/config/loyalty.json', 'utf8')) as {
    rules: Record<string, unknown>[];
  };
  loyalty.rules.push({ id: 'every-message', event: 'message.received', points: MESSAGE_POINTS });
  const file = join(dir, 'loyalty.json');
  await writeFile(file, JSON.stringify(loyalty));
  return file;
}

/** Customers talking to the Relevo behind `baseUrl`; `acknowledged` counts messages accepted so far. */
export function orderCustomers(baseUrl: string, messagesEach: number) {
  let acknowledged = 0;

  /** A customer's HTTP call, retried (same body) while a process or a Redis node is down. */
  async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch(`${baseUrl}${path}`, init);
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
  const question = (index: number, i: number) => QUESTIONS[(index + i) % QUESTIONS.length] as string;

  async function log(conversation: Conversation): Promise<Partial<Activity>[]> {
    const set = await call<{ activities: Partial<Activity>[] }>(
      `/v3/directline/conversations/${conversation.id}/activities`,
      { headers: auth(conversation) },
    );
    return set.activities.filter((activity) => activity.type === 'message');
  }

  return {
    acknowledged: () => acknowledged,

    /** Customer `index` opens a conversation and sends its messages one after the other. */
    async chat(index: number): Promise<Conversation> {
      const grant = await call<{ conversationId: string; token: string }>('/v3/directline/conversations', {
        method: 'POST',
      });
      const conversation = { id: grant.conversationId, token: grant.token };
      for (let i = 0; i < messagesEach; i++) {
        await call(`/v3/directline/conversations/${conversation.id}/activities`, {
          method: 'POST',
          headers: auth(conversation),
          body: JSON.stringify({
            type: 'message',
            text: question(index, i),
            locale: 'en-US',
            // What Web Chat sends: a retried post is recognised, never queued twice.
            channelData: { clientActivityID: `c${index}-m${i}` },
          }),
        });
        acknowledged++;
      }
      return conversation;
    },

    /** Waits until every conversation has an answer to each of its messages, however its turn was cut. */
    async untilAllAnswered(conversations: Conversation[], timeoutMs: number): Promise<void> {
      const done = new Set<string>();
      await expect
        .poll(
          async () => {
            for (const conversation of conversations) {
              if (done.has(conversation.id)) continue;
              if (answers(await log(conversation)) === messagesEach) done.add(conversation.id);
            }
            return done.size;
          },
          { timeout: timeoutMs, interval: 1_000 },
        )
        .toBe(conversations.length);
    },

    /**
     * Customer `index`'s conversation holds each message once, in the order sent, each answered once
     * with its own order's status, replies in the order of their questions, and a transcript holding
     * every question and reply once. Answers the first contacts the customer's messages earned.
     */
    async expectWhole(
      index: number,
      conversation: Conversation,
      transcripts: RedisTranscriptStore,
    ): Promise<FirstContacts> {
      const messages = await log(conversation);
      const asked = messages.filter((activity) => activity.from?.role === 'user');
      expect(asked.map((activity) => activity.text)).toEqual(
        Array.from({ length: messagesEach }, (_, i) => question(index, i)),
      );
      const replies = messages.filter(isBotReply);
      const answering = replies.map((reply) => asked.findIndex((each) => each.id === reply.replyToId));
      expect(
        answering.every((at, i) => at >= 0 && at >= (answering[i - 1] ?? 0)),
        JSON.stringify(messages.map((m) => [m.id, m.from?.role, m.replyToId, m.text?.slice(0, 30)])),
      ).toBe(true);
      for (const each of asked) {
        const own = replies.filter((reply) => reply.replyToId === each.id).map((reply) => reply.text);
        expect(own.filter((text) => text?.startsWith('Order '))).toHaveLength(1);
        expect(own.find((text) => text?.startsWith('Order '))?.slice(6, 16)).toBe(each.text?.slice(-10));
        expect(new Set(own).size).toBe(own.length);
      }
      const logged = await transcript(transcripts, conversation.id);
      const ids = logged.filter((activity) => activity.type === 'message').map((activity) => activity.id);
      expect(ids.filter((id) => asked.some((activity) => activity.id === id))).toEqual(
        asked.map((activity) => activity.id),
      );
      for (const reply of messages.filter((activity) => activity.from?.role === 'bot')) {
        expect(ids.filter((id) => id === reply.id)).toHaveLength(1);
      }
      const answered = asked.map((each) => {
        const answer = replies.find(
          (reply) => reply.replyToId === each.id && reply.text?.startsWith('Order '),
        );
        return [timeOf(each), timeOf(answer)] as const;
      });
      return { key: `webchat:${asked[0]?.from?.id}`, ...firstContactsOf(answered) };
    },
  };
}

/**
 * The promises of a run that lost processes or Redis nodes, checked once it is over: every acknowledged
 * message answered within `answeredWithinMs`, no late re-run answering twice, every transcript whole,
 * and every point credited exactly once ({@link expectExactLedger}).
 */
export async function expectEveryPromiseKept(
  customers: ReturnType<typeof orderCustomers>,
  conversations: Conversation[],
  client: RedisConnection,
  options: { prefix: string; messagesEach: number; redisFlags: string[]; answeredWithinMs: number },
): Promise<void> {
  await customers.untilAllAnswered(conversations, options.answeredWithinMs);
  // A late re-run (a reclaimed turn) would show up as a second reply now.
  await sleep(2 * 2_000);
  const transcripts = new RedisTranscriptStore(client, { prefix: options.prefix });
  const firstContacts: FirstContacts[] = [];
  for (const [index, conversation] of conversations.entries())
    firstContacts.push(await customers.expectWhole(index, conversation, transcripts));
  await expectExactLedger(client, {
    prefix: options.prefix,
    firstContacts,
    messagesEach: options.messagesEach,
    redisFlags: options.redisFlags,
  });
}

/**
 * Each customer earned the first-contact points once for each UTC day of their messages
 * (`firstContacts`) and every message's points once (a credit lost or doubled anywhere shows in the
 * balance and the entries), no one else earned any, and `npm run ledger:verify` (`redisFlags`:
 * `--redis-url …` or `--redis-cluster-urls …`) finds them consistent.
 */
export async function expectExactLedger(
  client: RedisConnection,
  options: { prefix: string; firstContacts: FirstContacts[]; messagesEach: number; redisFlags: string[] },
): Promise<void> {
  const ledger = new RedisLedger(client, { prefix: options.prefix });
  const members = new RedisMemberStore(client, { prefix: options.prefix });
  let earning = 0;
  for await (const _ of ledger.members()) earning++;
  expect(earning).toBe(options.firstContacts.length);
  for (const { key, min, max } of options.firstContacts) {
    const memberId = await members.ownerOf(key);
    if (memberId === undefined) throw new Error(`no member has the key ${key}`);
    const history = await ledger.history(memberId, { limit: 100 });
    const reasons = history.map((entry) => entry.reason);
    const firstContacts = reasons.filter((reason) => reason === 'rule:first-contact-of-day').length;
    const shape = { key, firstContacts, expected: [min, max], reasons };
    expect(firstContacts >= min && firstContacts <= max, JSON.stringify(shape)).toBe(true);
    expect(reasons.filter((reason) => reason === 'rule:every-message')).toHaveLength(options.messagesEach);
    expect(history).toHaveLength(firstContacts + options.messagesEach);
    expect((await ledger.balance(memberId)).balance).toBe(
      firstContacts * FIRST_CONTACT_POINTS + options.messagesEach * MESSAGE_POINTS,
    );
  }
  const verify = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'gamification/cli/ledger-verify.ts',
      ...options.redisFlags,
      '--prefix',
      options.prefix,
    ],
    { encoding: 'utf8' },
  );
  expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  expect(JSON.parse(verify.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({
    members: options.firstContacts.length,
    inconsistent: 0,
  });
}

const DAY_MS = 24 * 60 * 60 * 1000;

function timeOf(activity: Partial<Activity> | undefined): number {
  return Date.parse(String(activity?.timestamp));
}

/**
 * How many first contacts messages earn, each given as when it arrived and when it was answered: one
 * per UTC day their turns are dated on. A turn is dated by its first run's start, between the two; a
 * message that arrived before midnight and was answered after it may be dated on either day, so the
 * answer is a range: the fewest days that date every message, and at most one per message and day
 * touched. Without such a message, the range is one number.
 */
function firstContactsOf(messages: readonly (readonly [number, number])[]): {
  min: number;
  max: number;
} {
  const spans = messages
    .map(([arrived, answered]) => [Math.floor(arrived / DAY_MS), Math.floor(answered / DAY_MS)] as const)
    .sort((a, b) => a[1] - b[1]);
  let min = 0;
  let dated = Number.NEGATIVE_INFINITY;
  for (const [first, last] of spans) {
    if (first <= dated) continue;
    // The latest day this message may be on also dates every later message that may be on it.
    dated = last;
    min++;
  }
  const touched = new Set(
    spans.flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, i) => first + i)),
  );
  return { min, max: Math.min(messages.length, touched.size) };
}

/** How many order-status answers a conversation's log holds. */
function answers(messages: Partial<Activity>[]): number {
  return messages.filter((activity) => isBotReply(activity) && activity.text?.startsWith('Order ')).length;
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
