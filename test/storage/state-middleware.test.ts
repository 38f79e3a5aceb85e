import { setTimeout as sleep } from 'node:timers/promises';
import type { Middleware, TurnContext } from 'botbuilder';
import {
  checkWithStateRead,
  gateWithStateRead,
  inboundDelivery,
  saveWithState,
  TurnDroppedError,
} from '../../core/turn-state.js';
import { describe, expect, it } from 'vitest';
import { TurnCommit } from '../../core/turn-commit.js';
import { ConversationLockMiddleware } from '../../storage/conversation-lock-middleware.js';
import { MemoryLockManager } from '../../storage/memory-lock.js';
import { MemoryStorage } from '../../storage/memory-storage.js';
import { MemoryTranscriptStore } from '../../storage/memory-transcript-store.js';
import { StateMiddleware } from '../../storage/state-middleware.js';
import { TranscriptMiddleware } from '../../storage/transcript-middleware.js';
import { TurnCachedStorage } from '../../storage/turn-cached-storage.js';
import { CollectingAdapter } from '../support/collecting-adapter.js';
import { customerMessage } from '../support/customer-message.js';

describe('turn state', () => {
  it('keeps conversation and user state across turns', async () => {
    const storage = new MemoryStorage();
    const state = new StateMiddleware(storage);
    const turns = state.conversationProperty<number>('turns');
    const name = state.userProperty<string>('name');
    const adapter = new CollectingAdapter({ pipeline: [state] });
    adapter.logic = async (context: TurnContext) => {
      const count = (await turns.get(context, 0)) + 1;
      await turns.set(context, count);
      if (context.activity.text?.startsWith('I am ')) await name.set(context, context.activity.text.slice(5));
      await context.sendActivity(`turn ${count}, ${(await name.get(context)) ?? 'stranger'}`);
    };
    await adapter.say('hello');
    await adapter.say('I am Ana');
    await adapter.say('hi', { conversationId: 'another-conversation' });
    expect(adapter.sent.map((a) => a.text)).toEqual(['turn 1, stranger', 'turn 2, Ana', 'turn 1, Ana']);
  });

  it('runs a turn again when its state changed meanwhile, and sends only the replies of the saved run', async () => {
    const storage = new MemoryStorage();
    const state = new StateMiddleware(storage);
    const balance = state.conversationProperty<number>('balance');
    const adapter = new CollectingAdapter({ pipeline: [state] });
    await storage.write({ 'test/conversations/conversation-1': { balance: 10 } });
    let runs = 0;
    adapter.logic = async (context) => {
      runs++;
      const current = await balance.get(context, 0);
      // Someone else (the agent desk, another process) writes during the first run only.
      if (runs === 1) await storage.write({ 'test/conversations/conversation-1': { balance: 100 } });
      await balance.set(context, current + 1);
      await context.sendActivity(`balance ${current + 1}`);
    };
    await adapter.say('add one');
    expect(runs).toBe(2);
    expect(adapter.sent.map((a) => a.text)).toEqual(['balance 101']);
    expect(
      (await storage.read(['test/conversations/conversation-1']))['test/conversations/conversation-1'],
    ).toMatchObject({ balance: 101 });
  });

  it("writes another stage's item in the turn's one save, again when the turn runs again after a conflict", async () => {
    const inner = new MemoryStorage();
    const storage = new TurnCachedStorage(inner);
    // The counter is read with the state (then from the turn's reads), as the analytics session is.
    const state = new StateMiddleware(storage, { prefetch: () => ['counter'] });
    const visits = state.conversationProperty<number>('visits');
    const saved: string[] = [];
    const counter: Middleware = {
      onTurn: async (context, next) => {
        saveWithState(context, 'counter', {
          items: async () => {
            const current = (await storage.read(['counter'])).counter as { n: number; eTag?: string };
            return { counter: { n: (current?.n ?? 0) + 1, eTag: current?.eTag ?? '#new' } };
          },
          saved: () => saved.push(context.activity.text ?? ''),
        });
        await next();
      },
    };
    const adapter = new CollectingAdapter({ pipeline: [counter, state] });
    let runs = 0;
    adapter.logic = async (context) => {
      runs++;
      await visits.set(context, runs);
      // Another process counts too, during the first run of the second turn: that save conflicts.
      if (runs === 2) {
        const other = (await inner.read(['counter'])).counter as { n: number; eTag: string };
        await inner.write({ counter: { n: other.n + 10, eTag: other.eTag } });
      }
      await context.sendActivity('ok');
    };
    await adapter.say('one');
    await adapter.say('two');
    expect(runs).toBe(3);
    expect(saved).toEqual(['one', 'two']);
    expect((await inner.read(['counter'])).counter).toMatchObject({ n: 12 });
    expect(adapter.sent.map((a) => a.text)).toEqual(['ok', 'ok']);
  });

  it("lets go of the items it read for later stages when an earlier stage's check fails before the read ends", async () => {
    const inner = new MemoryStorage();
    await inner.write({ counter: { n: 1 } });
    const slow: MemoryStorage = Object.assign(Object.create(inner), {
      read: async (keys: string[]) => {
        await sleep(20);
        return inner.read(keys);
      },
    });
    const storage = new TurnCachedStorage(slow);
    const state = new StateMiddleware(storage, { prefetch: () => ['counter'] });
    let failCheck = true;
    const identity: Middleware = {
      onTurn: async (context, next) => {
        // The member store is down: the identity check fails while the state read is still on its way.
        if (failCheck) checkWithStateRead(context, Promise.reject(new Error('member store down')));
        await next();
      },
    };
    const adapter = new CollectingAdapter({ pipeline: [identity, state] });
    const seen: number[] = [];
    adapter.logic = async () => {
      seen.push(((await storage.read(['counter'])).counter as { n: number }).n);
    };
    await adapter.say('first').catch(() => undefined);
    await sleep(40);
    // Another process changes the item; the next turn must read it afresh, not a copy kept since.
    const current = (await inner.read(['counter'])).counter as { n: number; eTag: string };
    await inner.write({ counter: { n: 2, eTag: current.eTag } });
    failCheck = false;
    await adapter.say('second');
    expect(seen).toEqual([2]);
  });

  it("drops a turn when an earlier stage's gate closes with the read: nothing runs or is saved, and that stage still speaks", async () => {
    const storage = new MemoryStorage();
    const state = new StateMiddleware(storage);
    const visits = state.conversationProperty<number>('visits');
    const events: string[] = [];
    const limit: Middleware = {
      onTurn: async (context, next) => {
        const allowed = context.activity.text !== 'too many';
        gateWithStateRead(context, Promise.resolve(allowed));
        try {
          await next();
        } catch (error) {
          if (!(error instanceof TurnDroppedError)) throw error;
          await context.sendActivity('Please wait a minute.');
        }
      },
    };
    const later: Middleware = {
      onTurn: async (context, next) => {
        saveWithState(context, 'award', {
          items: async () => ({}),
          saving: () => events.push(`award ${context.activity.text}`),
        });
        await next();
      },
    };
    const adapter = new CollectingAdapter({ pipeline: [limit, later, state] });
    adapter.logic = async (context) => {
      await visits.set(context, ((await visits.get(context)) ?? 0) + 1);
      await context.sendActivity(`hello ${context.activity.text}`);
    };
    await adapter.say('one');
    await adapter.say('too many');
    await adapter.say('two');
    expect(adapter.sent.map((a) => a.text)).toEqual(['hello one', 'Please wait a minute.', 'hello two']);
    expect(events).toEqual(['award one', 'award two']);
    const saved = await storage.read(['test/conversations/conversation-1']);
    expect(saved['test/conversations/conversation-1']).toMatchObject({ visits: 2 });
  });

  it('gives up after three conflicting runs and sends nothing', async () => {
    const storage = new MemoryStorage();
    const state = new StateMiddleware(storage);
    const value = state.conversationProperty<number>('value');
    const adapter = new CollectingAdapter({ pipeline: [state] });
    adapter.logic = async (context) => {
      await value.set(context, 1);
      await storage.write({ 'test/conversations/conversation-1': { value: Math.random() } });
      await context.sendActivity('never sent');
    };
    await expect(adapter.say('contended')).rejects.toMatchObject({ code: 'RELEVO_STORAGE_CONFLICT' });
    expect(adapter.sent).toEqual([]);
  });

  it('lets typing indicators through at once while replies wait for the save', async () => {
    const adapter = new CollectingAdapter({ pipeline: [new StateMiddleware(new MemoryStorage())] });
    let sentDuringTurn: string[] = [];
    adapter.logic = async (context) => {
      await context.sendActivity({ type: 'typing' });
      await context.sendActivity('reply');
      sentDuringTurn = adapter.sent.map((a) => a.type ?? '');
    };
    await adapter.say('hi');
    expect(sentDuringTurn).toEqual(['typing']);
    expect(adapter.sent.map((a) => a.type)).toEqual(['typing', 'message']);
  });
});

describe('the per-conversation lock', () => {
  it('never lets two turns of one conversation interleave, while other conversations run alongside', async () => {
    const adapter = new CollectingAdapter({
      pipeline: [new ConversationLockMiddleware(new MemoryLockManager())],
    });
    const events: string[] = [];
    adapter.logic = async (context) => {
      events.push(`start ${context.activity.text}`);
      await sleep(30);
      events.push(`end ${context.activity.text}`);
    };
    await Promise.all([adapter.say('a1'), adapter.say('a2'), adapter.say('b1', { conversationId: 'other' })]);
    const a = events.filter((e) => e.endsWith('a1') || e.endsWith('a2'));
    expect([a[0]?.slice(0, 5), a[1]?.slice(0, 3)]).toEqual(['start', 'end']);
    expect(events.indexOf('start b1')).toBeLessThan(
      events.indexOf('end a1') === -1
        ? 99
        : Math.max(...[events.indexOf('end a1'), events.indexOf('end a2')]),
    );
  });

  it('answers a queued turn whose state an earlier run saved with that run’s replies, without running the bot or saving again, even past a closed gate', async () => {
    const storage = new MemoryStorage();
    const state = new StateMiddleware(storage);
    const transcripts = new MemoryTranscriptStore();
    // A rate limit whose window turned between the runs: it would drop the second one.
    const limit: Middleware = {
      onTurn: async (context, next) => {
        gateWithStateRead(context, Promise.resolve(inboundDelivery(context)?.attempt === 1));
        await next();
      },
    };
    const transcript = new TranscriptMiddleware(transcripts);
    // As the composed pipeline has them: the transcript's inbound stage before the state stage logs a replay.
    const adapter = new CollectingAdapter({
      pipeline: [limit, transcript.inbound(), state, transcript],
    });
    const step = state.conversationProperty<number>('step');
    let runs = 0;
    const logic = async (context: TurnContext) => {
      runs++;
      const next = (await step.get(context, 0)) + 1;
      await step.set(context, next);
      await context.sendActivities([
        { type: 'message', text: `step ${next}` },
        { type: 'message', text: 'Anything else?', locale: 'fr-FR' },
      ]);
    };
    const activity = customerMessage('in-7', 'yes', { locale: 'en-US', serviceUrl: 'urn:test' });
    // The same queue entry delivered twice: its first run's process died after the save, say.
    const delivery = (attempt: number) => ({
      id: 'in-7',
      attempt,
      commit: new TurnCommit({ channelId: 'test', conversationId: 'conversation-1', transcripts }),
    });
    const key = 'test/conversations/conversation-1';
    const first = delivery(1);
    await adapter.processActivity(activity, logic, first);
    const saved = await storage.read([key]);
    const second = delivery(2);
    await adapter.processActivity(activity, logic, second);

    expect(runs).toBe(1);
    expect(await storage.read([key])).toEqual(saved);
    expect(saved[key]).toMatchObject({ step: 1 });
    // The replay sends the very activities the first run sent (the channel skips what it showed).
    const [a, b, c, d] = adapter.sent;
    expect([c, d]).toEqual([
      { ...a, id: c?.id },
      { ...b, id: d?.id },
    ]);
    expect(b?.locale).toBe('fr-FR');
    // And its commit holds the same transcript: the message and the two replies.
    const texts = (commit: TurnCommit) => commit.transcript.map((entry) => entry.activity.text);
    expect(texts(second.commit)).toEqual(['yes', 'step 1', 'Anything else?']);
    expect(texts(second.commit)).toEqual(texts(first.commit));
  });

  it('runs no stage after it on a replay, wherever the transcript stage sits, and still logs the replay', async () => {
    const storage = new MemoryStorage();
    const state = new StateMiddleware(storage);
    const transcripts = new MemoryTranscriptStore();
    const transcript = new TranscriptMiddleware(transcripts);
    // A stage with work outside the save (the handoff policy, say), placed before the transcript stage.
    const outside: string[] = [];
    const policy: Middleware = {
      onTurn: async (context, next) => {
        await next();
        outside.push(`policy ran for ${context.activity.text}`);
      },
    };
    const adapter = new CollectingAdapter({ pipeline: [transcript.inbound(), state, policy, transcript] });
    const step = state.conversationProperty<number>('step');
    const logic = async (context: TurnContext) => {
      await step.set(context, (await step.get(context, 0)) + 1);
      await context.sendActivity(`step ${await step.get(context)}`);
    };
    const activity = customerMessage('in-9', 'next');
    const delivery = (attempt: number) => ({
      id: 'in-9',
      attempt,
      commit: new TurnCommit({ channelId: 'test', conversationId: 'conversation-1', transcripts }),
    });
    await adapter.processActivity(activity, logic, delivery(1));
    const replay = delivery(2);
    await adapter.processActivity(activity, logic, replay);

    expect(outside).toEqual(['policy ran for next']);
    expect(adapter.sent.map((a) => a.text)).toEqual(['step 1', 'step 1']);
    expect(replay.commit.transcript.map((entry) => entry.activity.text)).toEqual(['next', 'step 1']);
  });
});
