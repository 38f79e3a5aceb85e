import { type Activity, TestAdapter, type TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { TurnStateKey, turnMember } from '../../core/turn-state.js';
import { IdentityMiddleware } from '../../identity/identity-middleware.js';
import { MemoryMemberStore } from '../../identity/memory-member-store.js';
import { Members } from '../../identity/members.js';
import { mergeMembers } from '../../identity/merge.js';
import { MemoryStorage } from '../../storage/memory-storage.js';
import { MemoryRateCounter } from '../../storage/rate-counter.js';
import { RateLimitMiddleware } from '../../storage/rate-limit-middleware.js';
import { StateMiddleware } from '../../storage/state-middleware.js';

/**
 * One process's pipeline (identity, then state, the member proven with the state read) and a second
 * process sharing the member store, as two servers share Redis.
 */
function setup() {
  const store = new MemoryMemberStore();
  const clock = { now: () => Date.UTC(2026, 10, 22, 9) };
  const one = new Members({ store, clock });
  const two = new Members({ store, clock });
  const storage = new MemoryStorage();
  const state = new StateMiddleware(storage);
  const favourite = state.userProperty<string | undefined>('favourite');
  const seen: {
    memberId: string | undefined;
    language: string | undefined;
    favourite: string | undefined;
  }[] = [];
  const adapter = new TestAdapter(async (context: TurnContext) => {
    const member = turnMember(context);
    seen.push({ memberId: member?.id, language: member?.language, favourite: await favourite.get(context) });
    await context.sendActivity('ok');
  })
    .use(new IdentityMiddleware(one, { proveWithStateRead: true }))
    .use(state);
  const say = (from: string, locale = 'en-US') =>
    adapter.send({ type: 'message', text: 'hi', locale, from: { id: from, name: from } } as Activity);
  return { one, two, storage, seen, say };
}

describe('identity proven with the state read', () => {
  it('reads the state of the member a key now belongs to when another process merged it since', async () => {
    const { one, two, storage, seen, say } = setup();
    await say('webchat:anon-9').assertReply('ok');
    const anonymous = (await one.findByKey('webchat:anon-9'))?.id;
    const known = await two.createForKey('email:ana@example.com', false);
    await storage.write({ [`members/${known.id}/state`]: { favourite: 'blue', eTag: '*' } });
    // This process still has the anonymous member as its hint for the key.
    await mergeMembers(two, {
      fromMemberId: anonymous ?? '',
      toMemberId: known.id,
      actor: 'test',
      reason: 'linked',
    });
    await say('webchat:anon-9').assertReply('ok');
    expect(seen[1]).toEqual({ memberId: known.id, language: 'en', favourite: 'blue' });
    expect((await one.get(known.id))?.contacts.webchat).toBeGreaterThanOrEqual(1);
  });

  it('gives the turn the member as recorded with this message, when the hint was right', async () => {
    const { one, seen, say } = setup();
    await say('webchat:anon-10', 'en-US').assertReply('ok');
    await say('webchat:anon-10', 'es-ES').assertReply('ok');
    expect(seen.map((turn) => turn.memberId)).toEqual([seen[0]?.memberId, seen[0]?.memberId]);
    expect(seen.map((turn) => turn.language)).toEqual(['en', 'es']);
    expect((await one.findByKey('webchat:anon-10'))?.contacts.webchat).toBe(2);
  });

  it('records nothing of a message the rate limit drops with the state read: no contact, and no new member for a key whose member is gone', async () => {
    const store = new MemoryMemberStore();
    const members = new Members({ store, clock: { now: () => Date.UTC(2026, 10, 22, 9) } });
    const state = new StateMiddleware(new MemoryStorage());
    const ran: string[] = [];
    let inbound = 0;
    const adapter = new TestAdapter(async (context: TurnContext) => {
      ran.push(`${context.activity.from.id}: ${context.activity.text}`);
    })
      // As the durable inbound queue delivers a turn: the rate limit's count then rides with the read.
      .use({
        onTurn: async (context, next) => {
          context.turnState.set(TurnStateKey.inbound, { id: `in-${++inbound}`, attempt: 1 });
          await next();
        },
      })
      .use(
        new RateLimitMiddleware({
          counter: new MemoryRateCounter(),
          limit: 1,
          withStateRead: true,
          notice: () => 'slow down',
        }),
      )
      .use(new IdentityMiddleware(members, { proveWithStateRead: true }))
      .use(state);
    const say = (from: string, text: string) =>
      adapter.send({ type: 'message', text, from: { id: from, name: from } } as Activity);
    await say('webchat:anon-11', 'one');
    await say('webchat:anon-11', 'two').assertReply('slow down');
    expect(ran).toEqual(['webchat:anon-11: one']);
    expect((await members.findByKey('webchat:anon-11'))?.contacts).toEqual({ webchat: 1 });
    // A key whose member is gone (erased as the message came in) is not given a new one when dropped.
    const gone = await members.findByKey('webchat:anon-11');
    await store.delete(gone?.id ?? '');
    await say('webchat:anon-11', 'three');
    expect(ran).toEqual(['webchat:anon-11: one']);
    expect(await store.ownerOf('webchat:anon-11')).toBe(gone?.id);
  });
});
