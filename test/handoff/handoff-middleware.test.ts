import { type Activity, TestAdapter, type TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { type InboundDelivery, TurnStateKey } from '../../core/turn-state.js';
import { createHandoffs } from '../../handoff/create-handoffs.js';
import { HandoffMiddleware } from '../../handoff/handoff-middleware.js';
import { handoffMessages } from '../../handoff/messages.js';
import { createStores } from '../../storage/stores.js';
import { nluResult } from './nlu-fixture.js';

/** A conversation through the handoff stage, with NLU and dialog outcomes scripted by the text. */
async function conversation(options: { tier?: string; retryEveryTurn?: boolean; queued?: boolean } = {}) {
  const stores = await createStores();
  const handoffs = createHandoffs({ stores });
  const inControl: unknown[] = [];
  const bot = async (context: TurnContext) => {
    inControl.push(context.turnState.get(TurnStateKey.humanInControl));
    if (context.activity.type === 'message') await context.sendActivity(`bot: ${context.activity.text}`);
  };
  const adapter = new TestAdapter(bot);
  if (options.retryEveryTurn) adapter.use(retryingStage);
  if (options.queued) adapter.use(queuedStage);
  adapter.use(
    new HandoffMiddleware({
      handoffs,
      // As the composition root does: identity's member plus the loyalty stage's tier and points.
      memberOf: (context) => ({
        id: 'm-1',
        identityKeys: [context.activity.from.id, 'email:ana@example.com'],
        isAnonymous: false,
        tier: options.tier,
        points: 5200,
      }),
    }),
  );
  adapter.use({
    onTurn: async (context, next) => {
      const text = context.activity.text ?? '';
      if (text.startsWith('gibberish')) {
        context.turnState.set(TurnStateKey.nlu, nluResult({ text, score: 0.1, outOfScope: true }));
      } else if (text.startsWith('so-so')) {
        context.turnState.set(TurnStateKey.nlu, nluResult({ text, sentiment: 0.0123456 }));
      } else if (text.startsWith('complain')) {
        context.turnState.set(TurnStateKey.nlu, nluResult({ intent: 'feedback.complaint', sentiment: -0.3 }));
      } else {
        context.turnState.set(TurnStateKey.nlu, nluResult({ text }));
      }
      if (text.startsWith('fail')) context.turnState.set(TurnStateKey.dialogFailed, true);
      await next();
    },
  });
  return { handoffs, adapter, inControl };
}

/**
 * Like the state stage on a save conflict: runs the rest of the turn twice and sends only what the
 * second run sent.
 */
const retryingStage = {
  onTurn: async (context: TurnContext, next: () => Promise<void>) => {
    let outbox: Partial<Activity>[] = [];
    let flushing = false;
    context.onSendActivities(async (_context, activities, sendNext) => {
      if (flushing) return sendNext();
      outbox.push(...activities);
      return activities.map(() => ({ id: '' }));
    });
    await next();
    outbox = [];
    await next();
    flushing = true;
    if (outbox.length > 0) await context.sendActivities(outbox);
  },
};

/** As the durable inbound queue delivers a turn: its delivery (`channelData.inbound` here) on the turn. */
const queuedStage = {
  onTurn: async (context: TurnContext, next: () => Promise<void>) => {
    const inbound = (context.activity.channelData as { inbound?: InboundDelivery } | undefined)?.inbound;
    if (inbound) context.turnState.set(TurnStateKey.inbound, inbound);
    await next();
  },
};

describe('the handoff middleware', () => {
  it('forwards a customer message to the agents once when its queued turn runs again', async () => {
    const { handoffs, adapter } = await conversation({ tier: 'vip', queued: true });
    await adapter
      .send('complain: my parcel is broken')
      .assertReply('bot: complain: my parcel is broken')
      .assertReply(handoffMessages.en.joining);
    const forwarded: string[] = [];
    await handoffs.subscribe((event) => {
      if (event.type === 'handoff.message') forwarded.push(event.text);
    });
    // The first run died after forwarding; the queue runs the turn again under the same inbound id.
    for (const attempt of [1, 2]) {
      await adapter.send({
        type: 'message',
        id: 'in-9',
        text: 'are you there?',
        channelData: { inbound: { id: 'in-9', attempt } },
      });
    }
    await adapter.send({
      type: 'message',
      id: 'in-10',
      text: 'hello?',
      channelData: { inbound: { id: 'in-10', attempt: 1 } },
    });
    await expect.poll(() => forwarded).toEqual(['are you there?', 'hello?']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(forwarded).toEqual(['are you there?', 'hello?']);
  });

  it('hands a VIP member with a complaint to a person, with the tier and every identity key', async () => {
    const { handoffs, adapter } = await conversation({ tier: 'vip' });
    await adapter
      .send('complain: my parcel is broken')
      .assertReply('bot: complain: my parcel is broken')
      .assertReply(handoffMessages.en.joining);
    const [pending] = await handoffs.list('pending');
    expect(pending).toMatchObject({
      reason: { trigger: 'vip-complaint', values: { tier: 'vip' } },
      identityKeys: ['user1', 'email:ana@example.com'],
      member: { id: 'm-1', tier: 'vip', points: 5200 },
    });
    // VIP (3) + value (2, capped) + mild negativity (0.6).
    expect(pending?.priority).toBe(5.6);
  });

  it("keeps what the bot understood of the customer's last 20 messages for the agent, newest last", async () => {
    const { handoffs, adapter } = await conversation();
    for (let i = 1; i <= 25; i++) await adapter.send(`so-so ${i}`).assertReply(`bot: so-so ${i}`);
    const { turns } = await handoffs.conversations.read('test', 'Convo1');
    expect(turns).toHaveLength(20);
    // The console shows them to three decimals: that is what is kept.
    expect(turns.map((turn) => turn.sentiment)).toEqual(Array(20).fill(0.012));
    const ids = turns.map((turn) => Number(turn.activityId));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(20);
  });

  it('lets a guest with the same complaint carry on with the bot', async () => {
    const { handoffs, adapter } = await conversation();
    await adapter.send('complain: my parcel is broken').assertReply('bot: complain: my parcel is broken');
    expect(await handoffs.list('pending')).toEqual([]);
  });

  it('hands off after a dialog failed twice, and keeps the bot silent afterwards', async () => {
    const { handoffs, adapter, inControl } = await conversation();
    await adapter
      .send('fail once')
      .assertReply('bot: fail once')
      .send('fail twice')
      .assertReply('bot: fail twice')
      .assertReply(handoffMessages.en.joining)
      .send('hello?')
      .assertNoReply('the bot stays silent', 100);
    expect((await handoffs.list('pending'))[0]?.reason.trigger).toBe('dialog-failed');
    expect(inControl).toEqual([false, false]);
  });

  it('counts a re-run turn once and still tells the customer a person joins', async () => {
    const { handoffs, adapter } = await conversation({ retryEveryTurn: true });
    await adapter.send('gibberish one').assertReply('bot: gibberish one').assertNoReply('one turn only', 50);
    expect(await handoffs.list('pending')).toEqual([]);
    await adapter
      .send('gibberish two')
      .assertReply('bot: gibberish two')
      .assertReply(handoffMessages.en.joining)
      .assertNoReply('nothing twice', 50);
    expect(await handoffs.list('pending')).toHaveLength(1);
  });
});
