import { type Activity, TestAdapter, type TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { ConversationReferences } from '../../bots/conversation-references.js';
import { silentLogger } from '../../core/logger.js';
import { TurnStateKey } from '../../core/turn-state.js';
import { IdentityMiddleware } from '../../identity/identity-middleware.js';
import { MemoryMemberStore } from '../../identity/memory-member-store.js';
import { Members } from '../../identity/members.js';
import { MemoryStorage } from '../../storage/memory-storage.js';
import { StateMiddleware } from '../../storage/state-middleware.js';

/** Identity, conversation references and the state stage around `bot`, as a queued web chat turn. */
function pipeline(bot: (context: TurnContext) => Promise<void>) {
  const store = new MemoryMemberStore();
  const members = new Members({ store, clock: { now: () => Date.UTC(2026, 10, 22, 9) } });
  const storage = new MemoryStorage();
  const errors: unknown[] = [];
  const state = new StateMiddleware(storage);
  const adapter = new TestAdapter(bot)
    .use({
      onTurn: async (context, next) => {
        context.turnState.set(TurnStateKey.inbound, { id: `in-${context.activity.text}`, attempt: 1 });
        await next();
      },
    })
    .use(new IdentityMiddleware(members, { proveWithStateRead: true }))
    .use(new ConversationReferences(storage, silentLogger))
    .use(state);
  adapter.onTurnError = async (_context, error) => {
    errors.push(error);
  };
  const say = (text: string) =>
    adapter.send({ type: 'message', text, from: { id: 'webchat:anon-1', name: 'Ana' } } as Activity);
  return { store, members, storage, state, errors, say };
}

describe('a turn that fails after the rate limit let it through', () => {
  it('still lists its conversation on the member and keeps its reference, so erasing the member finds its transcript', async () => {
    const world = pipeline(async (context) => {
      if (context.activity.text === 'boom') throw new Error('the bot broke');
    });
    await world.say('boom');
    const member = await world.members.findByKey('webchat:anon-1');
    expect(member?.contacts).toEqual({ webchat: 1 });
    expect(member?.conversations.map((c) => c.conversationId)).toEqual(['Convo1']);
    const references = await world.storage.read(['references/test/Convo1']);
    expect(Object.keys(references)).toHaveLength(1);
  });
});

describe("a failed read of a seen member's version (its cluster master failing over)", () => {
  it('lets the turn go on with the member this process saw, as a failed contact write always did', async () => {
    const ran: string[] = [];
    const world = pipeline(async (context) => {
      ran.push(String(context.activity.text));
    });
    await world.say('one');
    world.store.version = async () => {
      throw new Error('CLUSTERDOWN The cluster is down');
    };
    await world.say('two');
    expect(world.errors).toEqual([]);
    expect(ran).toEqual(['one', 'two']);
  });
});

describe('a queued turn replayed from its outbox (its first run failed after the save)', () => {
  it("records the contact with the language and churn intent its first run's NLU found", async () => {
    let refuse = true;
    let runs = 0;
    const world = pipeline(async (context) => {
      runs++;
      await world.state.conversationProperty<number>('turns').set(context, 1);
      context.turnState.set(TurnStateKey.nlu, { language: 'fr', topIntent: 'order.status' });
      await context.sendActivity('Votre commande arrive demain.');
      // The platform refuses the answer once, after the state was saved.
      context.onSendActivities(async (_context, _activities, next) => {
        if (!refuse) return next();
        refuse = false;
        throw new Error('the platform refused the answer');
      });
    });
    // The first run's contact write fails too (a store hiccup, logged): the replay records it.
    const replace = world.store.replace.bind(world.store);
    let failures = 1;
    world.store.replace = async (record, version) => {
      if (failures-- > 0) throw new Error('the member store hiccuped');
      return replace(record, version);
    };
    await world.say('bonjour');
    expect(world.errors).toHaveLength(1);
    await world.say('bonjour');
    // A replay: the bot does not run again, though no transcript stage follows the state stage here.
    expect(runs).toBe(1);
    const member = await world.members.findByKey('webchat:anon-1');
    expect(member?.profile.language).toBe('fr');
    expect(member?.intentContacts?.flatMap((contact) => contact.intents)).toEqual(['order.status']);
  });
});
