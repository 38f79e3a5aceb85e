import { type Activity, TestAdapter, type TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { TurnStateKey } from '../../core/turn-state.js';
import { createHandoffs } from '../../handoff/create-handoffs.js';
import { HandoffMiddleware } from '../../handoff/handoff-middleware.js';
import { MemoryHandoffQueue } from '../../handoff/memory-queue.js';
import { priorityOf, type QueueEntry } from '../../handoff/queue.js';
import { IdentityMiddleware } from '../../identity/identity-middleware.js';
import { Members } from '../../identity/members.js';
import { MemoryMemberStore } from '../../identity/memory-member-store.js';
import { mergeMembers } from '../../identity/merge.js';
import { createStores } from '../../storage/stores.js';
import { nluResult } from '../handoff/nlu-fixture.js';

const DAY = 24 * 60 * 60 * 1000;
const START = Date.UTC(2026, 2, 2, 9, 0, 0);

/**
 * The identity stage on a TestAdapter with an injected clock and an NLU stage scripted by the text:
 * `intent: text` answers that intent (with `angry` in the text, a sentiment of -0.9); text without a
 * colon is out of scope.
 */
function agent(options: { withHandoff?: boolean } = {}) {
  let now = START;
  const clock = { now: () => now };
  const members = new Members({ store: new MemoryMemberStore(), clock });
  const handoffs = options.withHandoff ? createHandoffs({ stores: memoryStores, clock }) : undefined;
  const adapter = new TestAdapter(async (context: TurnContext) => {
    await context.sendActivity('ok');
  });
  adapter.use(new IdentityMiddleware(members));
  if (handoffs) adapter.use(new HandoffMiddleware({ handoffs }));
  adapter.use({
    onTurn: async (context, next) => {
      const text = context.activity.text ?? '';
      const intent = text.includes(':') ? (text.split(':')[0] ?? 'None') : 'None';
      context.turnState.set(
        TurnStateKey.nlu,
        nluResult({
          text,
          intent,
          outOfScope: intent === 'None',
          sentiment: text.includes('angry') ? -0.9 : 0,
        }),
      );
      await next();
    },
  });
  /** One message from `from` in `conversationId`, `atDays` after the start. */
  const say = async (from: string, conversationId: string, text: string, atDays: number) => {
    now = START + atDays * DAY;
    const activity = {
      type: 'message',
      channelId: conversationId.split('-')[0],
      from: { id: from },
      conversation: { id: conversationId },
      text,
    } as Activity;
    await adapter.processActivity(activity, async () => {});
  };
  const member = async (key: string) => members.findByKey(key);
  return { members, handoffs, say, member, setNow: (at: number) => (now = at) };
}

const memoryStores = await createStores();

describe('the churn rule (3 contacts in 7 days about one intent)', () => {
  it('flags a member after three conversations about the same intent within a week', async () => {
    const { say, member } = agent();
    await say('webchat:anon-1', 'webchat-a', 'orders.status: where is my parcel?', 0);
    await say('webchat:anon-1', 'webchat-b', 'orders.status: still nothing', 2);
    expect((await member('webchat:anon-1'))?.churnRisk).toBeUndefined();
    await say('webchat:anon-1', 'webchat-c', 'orders.status: it is late again', 5);
    expect((await member('webchat:anon-1'))?.churnRisk).toEqual({
      intent: 'orders.status',
      since: START + 5 * DAY,
    });
  });

  it('does not flag two contacts, nor many messages of one conversation on one day', async () => {
    const { say, member } = agent();
    for (const text of ['orders.status: hi', 'orders.status: where', 'orders.status: now?']) {
      await say('webchat:anon-2', 'webchat-a', text, 0);
    }
    await say('webchat:anon-2', 'webchat-b', 'orders.status: again', 1);
    expect((await member('webchat:anon-2'))?.churnRisk).toBeUndefined();
    expect((await member('webchat:anon-2'))?.intentContacts).toHaveLength(2);
  });

  it('counts the same conversation on another day as another contact', async () => {
    const { say, member } = agent();
    for (const day of [0, 1, 2])
      await say('email:ana@example.com', 'email-thread', 'returns.start: hello', day);
    expect((await member('email:ana@example.com'))?.churnRisk?.intent).toBe('returns.start');
  });

  it('does not flag three contacts about different intents, small talk or out-of-scope text', async () => {
    const { say, member } = agent();
    await say('webchat:anon-3', 'webchat-a', 'orders.status: where is it', 0);
    await say('webchat:anon-3', 'webchat-b', 'returns.start: I want to return it', 1);
    await say('webchat:anon-3', 'webchat-c', 'billing.invoice: invoice please', 2);
    for (const [i, text] of ['smalltalk.greeting: hi', 'agent.help: help', 'gibberish'].entries()) {
      for (const conversation of ['webchat-d', 'webchat-e', 'webchat-f']) {
        await say('webchat:anon-3', `${conversation}${i}`, text, 3);
      }
    }
    expect((await member('webchat:anon-3'))?.churnRisk).toBeUndefined();
  });

  it('lets contacts older than seven days expire, and clears the flag once they have', async () => {
    const { say, member } = agent();
    await say('webchat:anon-4', 'webchat-a', 'orders.status: where', 0);
    await say('webchat:anon-4', 'webchat-b', 'orders.status: where', 3);
    await say('webchat:anon-4', 'webchat-c', 'orders.status: where', 7.5);
    expect((await member('webchat:anon-4'))?.churnRisk).toBeUndefined();
    expect((await member('webchat:anon-4'))?.intentContacts).toHaveLength(2);
    await say('webchat:anon-4', 'webchat-d', 'orders.status: where', 8);
    expect((await member('webchat:anon-4'))?.churnRisk?.intent).toBe('orders.status');
    await say('webchat:anon-4', 'webchat-e', 'returns.start: fine, return it', 20);
    expect((await member('webchat:anon-4'))?.churnRisk).toBeUndefined();
  });

  it('counts the contacts of both members once they are merged', async () => {
    const { say, member, members } = agent();
    await say('webchat:anon-5', 'webchat-a', 'orders.status: where', 0);
    await say('webchat:anon-5', 'webchat-b', 'orders.status: where', 1);
    await say('email:eva@example.com', 'email-1', 'orders.status: where', 2);
    const web = await member('webchat:anon-5');
    const mail = await member('email:eva@example.com');
    if (!web || !mail) throw new Error('both members exist');
    await mergeMembers(members, { fromMemberId: web.id, toMemberId: mail.id, actor: 'test', reason: 'test' });
    expect((await member('email:eva@example.com'))?.churnRisk?.intent).toBe('orders.status');
  });
});

describe('the churn-risk bonus in the handoff queue', () => {
  it('serves a member at churn risk before a guest who came up to two minutes earlier', async () => {
    const queue = new MemoryHandoffQueue();
    const entry = (handoffId: string, enqueuedAt: number, isChurnRisk: boolean): QueueEntry => ({
      handoffId,
      enqueuedAt,
      priority: priorityOf({ isChurnRisk }),
      language: 'en',
      topic: '',
    });
    await queue.enqueue(entry('guest-early', 0, false));
    await queue.enqueue(entry('guest-long-ago', -200_000, false));
    await queue.enqueue(entry('churn-risk', 100_000, true));
    expect(priorityOf({ isChurnRisk: true })).toBe(2);
    expect(priorityOf({ isChurnRisk: true }, { ...defaultWeights(), churnRiskWeight: 5 })).toBe(5);
    expect((await queue.waiting()).map((each) => each.handoffId)).toEqual([
      'guest-long-ago',
      'churn-risk',
      'guest-early',
    ]);
  });

  it('hands the angry third contact to a person with the churn flag and the bonus, end to end', async () => {
    const { say, handoffs } = agent({ withHandoff: true });
    await say('webchat:anon-6', 'webchat-a', 'orders.status: where is my parcel', 0);
    await say('webchat:anon-6', 'webchat-b', 'orders.status: where is my parcel', 2);
    await say('webchat:anon-6', 'webchat-c', 'orders.status: angry, it is STILL not here', 4);
    const [pending] = (await handoffs?.list('pending')) ?? [];
    const since = START + 4 * DAY;
    expect(pending).toMatchObject({
      reason: { trigger: 'negative-sentiment' },
      member: { churnRisk: { intent: 'orders.status', since } },
      // Anger (2 × 0.9) + churn risk (2).
      priority: 3.8,
    });
    const packet = pending && (await handoffs?.records.packet(pending.id));
    expect(packet?.value.member).toMatchObject({ churnRisk: { intent: 'orders.status', since } });
  });
});

function defaultWeights() {
  return {
    tierWeights: {},
    valueWeightPerThousand: 0,
    maxValueWeight: 0,
    negativeSentimentWeight: 0,
    msPerPriorityPoint: 60_000,
  };
}
