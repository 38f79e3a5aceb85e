import { type Activity, MemoryTranscriptStore, type ResourceResponse, type TurnContext } from 'botbuilder';
import { describe, expect, it, vi } from 'vitest';
import { ERASED_CONVERSATION_TTL_MS, TurnCommit } from '../../core/turn-commit.js';
import { turnMember } from '../../core/turn-state.js';
import { createIdentity } from '../../identity/create-identity.js';
import { MemoryStorage } from '../../storage/memory-storage.js';
import { StateMiddleware } from '../../storage/state-middleware.js';
import { TurnCachedStorage } from '../../storage/turn-cached-storage.js';
import { logTranscript } from '../../storage/transcript-log.js';
import { TranscriptMiddleware } from '../../storage/transcript-middleware.js';
import { CollectingAdapter } from '../support/collecting-adapter.js';
import { customerMessage } from '../support/customer-message.js';

const CONVERSATION = 'test/conversations/conversation-1';

/** A channel that refuses the next batch holding `text` (the platform said no), or never answers it (the process died). */
class FlakyChannel extends CollectingAdapter {
  fault: { text: string; mode: 'refuse' | 'die' } | undefined;
  sends = 0;

  override async sendActivities(
    context: TurnContext,
    activities: Partial<Activity>[],
  ): Promise<ResourceResponse[]> {
    const fault = this.fault;
    if (fault && activities.some((activity) => activity.text === fault.text)) {
      this.fault = undefined;
      if (fault.mode === 'die') return new Promise(() => {});
      throw new Error('the platform refused the message');
    }
    this.sends++;
    return super.sendActivities(context, activities);
  }
}

/** Identity, state and transcript around a "forget me" bot, on memory stores, as queued turns. */
function world() {
  const storage = new TurnCachedStorage(new MemoryStorage());
  const transcripts = new MemoryTranscriptStore();
  const identity = createIdentity({
    stores: { kind: 'memory', prefix: 'test', redis: undefined, transcripts, storage },
    apiToken: undefined,
  });
  const state = new StateMiddleware(storage);
  const adapter = new FlakyChannel({
    pipeline: [identity.middleware, state, new TranscriptMiddleware(transcripts)],
  });
  const asked = state.conversationProperty<boolean>('asked');
  const language = state.userProperty<string>('language');
  let erases = 0;
  // Run as the customer confirms, before the erase (another writer of the conversation, say).
  const confirming: { hook?: (() => Promise<void>) | undefined } = {};
  const bot = async (context: TurnContext) => {
    await language.set(context, 'es');
    if (context.activity.text === 'forget me') {
      await asked.set(context, true);
      await context.sendActivity('Erase everything?');
    } else if (context.activity.text === 'yes' && (await asked.get(context))) {
      const member = turnMember(context);
      if (!member) throw new Error('no member on the turn');
      erases++;
      const hook = confirming.hook;
      confirming.hook = undefined;
      await hook?.();
      await asked.set(context, false);
      await identity.erase(member.id, { actor: 'customer', reason: 'forget me' }, context);
      await context.sendActivity('Done: I forgot you.');
    } else {
      await context.sendActivity('How can I help?');
    }
  };
  // One queued entry per message; `attempt` > 1 is the queue delivering it again.
  const deliver = (id: string, text: string, attempt = 1, commit?: TurnCommit) =>
    adapter.processActivity(
      customerMessage(id, text, { from: { id: 'webchat:anon-ana', name: 'Ana' }, serviceUrl: 'urn:test' }),
      bot,
      { id, attempt, ...(commit ? { commit } : {}) },
    );
  /**
   * The storage items of the member and their conversation that "forget me" promises to delete and
   * that still hold anything: a queued turn's conversation keeps only its outbox (its replies), so a
   * re-delivery of the turn replays it.
   */
  const leftOver = async (memberId: string) =>
    Object.entries(await storage.read([CONVERSATION, `members/${memberId}/state`]))
      .filter(([, item]) => Object.keys(item).some((field) => field !== 'eTag' && field !== 'turnOutbox'))
      .map(([key]) => key);
  return { adapter, identity, storage, transcripts, deliver, leftOver, confirming, erases: () => erases };
}

describe('"forget me" inside a queued turn', () => {
  it('leaves no transcript of the conversation once the queue writes the commit of the turn that confirmed it', async () => {
    const { transcripts, deliver } = world();
    // The queue writes each turn's commit (its transcript) once the turn is over.
    const commitOf = async (id: string, text: string) => {
      const commit = new TurnCommit({ channelId: 'test', conversationId: 'conversation-1', transcripts });
      await deliver(id, text, 1, commit);
      await logTranscript(transcripts, commit.transcriptWith([]));
    };
    const logged = async () =>
      (await transcripts.getTranscriptActivities('test', 'conversation-1')).items.map((a) => a.text);
    await commitOf('in-1', 'forget me');
    expect(await logged()).toEqual(['forget me', 'Erase everything?']);
    await commitOf('in-2', 'yes');
    expect(await logged()).toEqual([]);
  });

  it('erases the conversation and member state even when the confirmation is refused after the save', async () => {
    const { adapter, identity, deliver, leftOver } = world();
    await deliver('in-1', 'forget me');
    const id = (await identity.members.findByKey('webchat:anon-ana'))?.id ?? '';
    expect(await leftOver(id)).toHaveLength(2);
    adapter.fault = { text: 'Done: I forgot you.', mode: 'refuse' };
    await expect(deliver('in-2', 'yes')).rejects.toThrow('refused');
    expect(await identity.members.get(id)).toBeUndefined();
    expect(await leftOver(id)).toEqual([]);
  });

  it('replays the refused confirmation when the queue delivers it again, and the customer stays forgotten', async () => {
    const { adapter, identity, storage, deliver, erases, transcripts } = world();
    await deliver('in-1', 'forget me');
    adapter.fault = { text: 'Done: I forgot you.', mode: 'refuse' };
    await expect(deliver('in-2', 'yes')).rejects.toThrow('refused');
    await deliver('in-2', 'yes', 2);
    expect(await identity.members.findByKey('webchat:anon-ana')).toBeUndefined();
    expect(erases()).toBe(1);
    expect(adapter.sent.map((activity) => activity.text)).toEqual([
      'Erase everything?',
      'Done: I forgot you.',
    ]);
    // Nothing of the customer's in the conversation's state: only the turn's outbox.
    const conversation = (await storage.read([CONVERSATION]))[CONVERSATION] ?? {};
    expect(Object.keys(conversation).sort()).toEqual(['eTag', 'turnOutbox']);
    expect(JSON.stringify(conversation)).not.toContain('anon-ana');
    expect((await transcripts.getTranscriptActivities('test', 'conversation-1')).items).toEqual([]);
  });

  it('keeps the confirmation’s outbox, its goodbye and what was left to erase, for minutes only', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { storage, deliver } = world();
      await deliver('in-1', 'forget me');
      await deliver('in-2', 'yes');
      const left = (await storage.read([CONVERSATION]))[CONVERSATION] ?? {};
      expect(Object.keys(left).sort()).toEqual(['eTag', 'turnOutbox']);
      vi.setSystemTime(Date.now() + ERASED_CONVERSATION_TTL_MS);
      expect(await storage.read([CONVERSATION])).toEqual({});
    } finally {
      vi.useRealTimers();
    }
  });

  it('replays the confirmation, not runs it afresh, when its process died after the erase but before the commit', async () => {
    const { identity, deliver, erases } = world();
    await deliver('in-1', 'forget me');
    await deliver('in-2', 'yes');
    // The queue never removed the entry: another process delivers it again.
    await deliver('in-2', 'yes', 2);
    expect(erases()).toBe(1);
    expect(await identity.members.findByKey('webchat:anon-ana')).toBeUndefined();
  });

  it('confirms the erase once when its save meets a conflict and the dialog runs again', async () => {
    const { adapter, identity, storage, deliver, confirming, erases } = world();
    await deliver('in-1', 'forget me');
    const id = (await identity.members.findByKey('webchat:anon-ana'))?.id ?? '';
    // Someone else writes the conversation's state while the first run confirms: its save conflicts.
    confirming.hook = async () => {
      const { eTag: _eTag, ...current } = (await storage.read([CONVERSATION]))[CONVERSATION] ?? {};
      await storage.write({ [CONVERSATION]: { ...current, touched: true, eTag: '*' } });
    };
    await deliver('in-2', 'yes');
    expect(erases()).toBe(2);
    expect(adapter.sent.map((activity) => activity.text)).toEqual([
      'Erase everything?',
      'Done: I forgot you.',
    ]);
    expect(await identity.members.get(id)).toBeUndefined();
    expect(await identity.members.findByKey('webchat:anon-ana')).toBeUndefined();
  });

  it('finishes the erase when the run that confirmed it died after its save, and confirms it once', async () => {
    const { adapter, identity, storage, deliver, leftOver, erases, transcripts } = world();
    await deliver('in-1', 'forget me');
    const id = (await identity.members.findByKey('webchat:anon-ana'))?.id ?? '';
    adapter.fault = { text: 'Done: I forgot you.', mode: 'die' };
    // The first run's state save lands; its process dies as it sends the answer.
    void deliver('in-2', 'yes');
    await expect
      .poll(async () => (await storage.read([CONVERSATION]))[CONVERSATION])
      .toMatchObject({
        turnOutbox: { id: 'in-2' },
      });
    // Another process takes the entry over.
    await deliver('in-2', 'yes', 2);
    expect(erases()).toBe(1);
    expect(adapter.sent.map((activity) => activity.text)).toEqual([
      'Erase everything?',
      'Done: I forgot you.',
    ]);
    expect(await identity.members.get(id)).toBeUndefined();
    expect(await identity.members.findByKey('webchat:anon-ana')).toBeUndefined();
    expect(await leftOver(id)).toEqual([]);
    expect((await transcripts.getTranscriptActivities('test', 'conversation-1')).items).toEqual([]);
  });
});
