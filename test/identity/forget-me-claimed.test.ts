import { randomUUID } from 'node:crypto';
import { type Activity, MemoryTranscriptStore, type Middleware, type TurnContext } from 'botbuilder';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { turnMember } from '../../core/turn-state.js';
import { createIdentity } from '../../identity/create-identity.js';
import { DedupeMiddleware } from '../../storage/dedupe-middleware.js';
import { StateMiddleware } from '../../storage/state-middleware.js';
import { createStores, type StoresOptions } from '../../storage/stores.js';
import { TranscriptMiddleware } from '../../storage/transcript-middleware.js';
import { CollectingAdapter } from '../support/collecting-adapter.js';
import { customerMessage } from '../support/customer-message.js';

const CONVERSATION = 'test/conversations/conversation-1';

/** A transcript store that refuses the next write of the activity saying `failOn` (unreachable a moment). */
class FlakyTranscripts extends MemoryTranscriptStore {
  failOn: string | undefined;
  override async logActivity(activity: Activity): Promise<void> {
    if (this.failOn && activity.text === this.failOn) {
      this.failOn = undefined;
      throw new Error('transcript store unreachable');
    }
    return super.logActivity(activity);
  }
}

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

const backends: [string, () => StoresOptions][] = [
  ['one Redis', () => ({ redisUrl: inject('redisUrl') })],
  ['a Redis Cluster', () => ({ redisClusterUrls: inject('redisClusterUrls') })],
  ['memory', () => ({})],
];

describe.each(backends)('"forget me" confirmed by a message answered in its request (%s)', (_, backend) => {
  it('keeps the customer forgotten, and answers the goodbye, when the platform retries a confirmation whose transcript write failed; the next save drops what was kept for it', async () => {
    const stores = await createStores({ ...backend(), prefix: `forget-${randomUUID().slice(0, 8)}` });
    cleanups.push(() => stores.close());
    const transcripts = new FlakyTranscripts();
    const { kind, prefix, redis, storage } = stores;
    const identity = createIdentity({
      stores: { kind, prefix, redis, transcripts, storage },
      apiToken: undefined,
    });
    const state = new StateMiddleware(storage);
    // What each delivery answered in its request (a replay's too, which runs no bot).
    let answer: string[] = [];
    const answered: Middleware = {
      onTurn: async (context, next) => {
        await next();
        answer = context.bufferedReplyActivities.map((reply) => reply.text ?? '');
      },
    };
    const adapter = new CollectingAdapter({
      pipeline: [
        answered,
        new DedupeMiddleware(stores.activities),
        identity.middleware,
        state,
        new TranscriptMiddleware(transcripts),
      ],
    });
    const asked = state.conversationProperty<boolean>('asked');
    const bot = async (context: TurnContext) => {
      if (context.activity.text === 'forget me') {
        await asked.set(context, true);
        await context.sendActivity('Erase everything?');
      } else if (context.activity.text === 'yes' && (await asked.get(context))) {
        const member = turnMember(context);
        if (!member) throw new Error('no member on the turn');
        await asked.set(context, false);
        await identity.erase(member.id, { actor: 'customer', reason: 'forget me' }, context);
        await context.sendActivity('Done: I forgot you.');
      } else {
        await context.sendActivity('How can I help?');
      }
    };
    let runs = 0;
    /** Ana's `expectReplies` message: the texts of its answer. */
    const say = async (id: string, text: string) => {
      const activity = customerMessage(id, text, {
        from: { id: 'webchat:anon-ana', name: 'Ana' },
        serviceUrl: 'urn:test',
        deliveryMode: 'expectReplies',
      });
      answer = [];
      await adapter.processActivity(activity, async (context) => {
        runs++;
        await bot(context);
      });
      return answer;
    };

    expect(await say('in-1', 'forget me')).toEqual(['Erase everything?']);
    transcripts.failOn = 'Done: I forgot you.';
    await expect(say('in-2', 'yes')).rejects.toMatchObject({ code: 'RELEVO_TURN_INCOMPLETE' });
    expect(await identity.members.findByKey('webchat:anon-ana')).toBeUndefined();
    // What is left of the conversation: that turn's answer, for its retry, and nothing else.
    const left = (await storage.read([CONVERSATION]))[CONVERSATION] as Record<string, unknown>;
    expect(Object.keys(left).filter((key) => key !== 'eTag')).toEqual(['activityOutbox']);
    expect((left.activityOutbox as { id: string }[]).map((entry) => entry.id)).toEqual(['in-2']);

    // The platform's retry of the 500: the goodbye again, "yes" not run afresh, no member for the key.
    expect(await say('in-2', 'yes')).toEqual(['Done: I forgot you.']);
    expect(runs).toBe(2);
    expect(await identity.members.findByKey('webchat:anon-ana')).toBeUndefined();

    // Ana writes again in the same conversation within the answer's two minutes: that save lifts the
    // kept document's time to live, so it drops the goodbye and the erase's work, keeping the id. A
    // later retry of the goodbye still gets it (the answer its delivery recorded), and is not run.
    expect(await say('in-3', 'hello again')).toEqual(['How can I help?']);
    const after = (await storage.read([CONVERSATION]))[CONVERSATION] as Record<string, unknown>;
    const kept = (after.activityOutbox as Record<string, unknown>[]).find((entry) => entry.id === 'in-2');
    expect(Object.keys(kept ?? {}).sort()).toEqual(['id', 'until']);
    expect(await say('in-2', 'yes')).toEqual(['Done: I forgot you.']);
    expect(runs).toBe(3);
  });
});
