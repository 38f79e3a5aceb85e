import { describe, expect, it } from 'vitest';
import { hasCode } from '../../core/errors.js';
import { IdentityErrorCode } from '../../identity/errors.js';
import type { MemberStore } from '../../identity/member-store.js';
import { Members } from '../../identity/members.js';
import { mergeMembers, unmergeMembers } from '../../identity/merge.js';

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 10, 22, 9)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const contact = (channel: string, conversationId: string, at: number) => ({
  channel,
  channelId: channel,
  conversationId,
  at,
});

/**
 * The members contract, run against every {@link MemberStore}: lazy anonymous members, one owner per
 * key under concurrency, contact records, and audited merges that unmerge restores.
 */
export function membersContract(name: string, createStore: () => Promise<MemberStore>): void {
  describe(`members on ${name}`, () => {
    const setup = async () => {
      const clock = manualClock();
      const members = new Members({ store: await createStore(), clock });
      return { clock, members };
    };

    it('creates an anonymous member the first time a key is seen, and finds the same one after', async () => {
      const { members } = await setup();
      const first = await members.resolve('webchat:anon-1');
      expect(first).toMatchObject({ isAnonymous: true, identityKeys: ['webchat:anon-1'] });
      expect((await members.resolve('webchat:anon-1')).id).toBe(first.id);
      expect((await members.findByKey('webchat:anon-1'))?.id).toBe(first.id);
    });

    it('creates exactly one member when twenty first turns of one key arrive at once', async () => {
      const { members } = await setup();
      const resolved = await Promise.all(Array.from({ length: 20 }, () => members.resolve('slack:T1/U9')));
      expect(new Set(resolved.map((m) => m.id)).size).toBe(1);
    });

    it('refuses blocked and malformed keys instead of creating a member for them', async () => {
      const { members } = await setup();
      for (const key of ['webchat:anonymous', 'email:null', 'x:undefined', 'email: ', 'no-colon']) {
        await expect(members.resolve(key)).rejects.toSatisfy(
          (error) =>
            hasCode(error, IdentityErrorCode.blockedValue) || hasCode(error, IdentityErrorCode.invalidKey),
        );
      }
    });

    it('treats email keys case-insensitively', async () => {
      const { members } = await setup();
      const a = await members.resolve('email:Ana@Example.COM');
      expect((await members.resolve('email:ana@example.com')).id).toBe(a.id);
    });

    it('counts contacts per channel, remembers the last channel, language and conversations', async () => {
      const { members, clock } = await setup();
      const member = await members.resolve('webchat:anon-2');
      await members.recordContact(member.id, { ...contact('webchat', 'c1', clock.now()), language: 'es' });
      clock.advance(1000);
      await members.recordContact(member.id, contact('webchat', 'c1', clock.now()));
      const saved = await members.recordContact(member.id, {
        ...contact('email', 'thread-1', clock.now() + 5),
        isSuspect: true,
      });
      expect(saved.contacts).toEqual({ webchat: 2, email: 1 });
      expect(saved.lastChannel).toBe('email');
      expect(saved.profile.language).toBe('es');
      expect(saved.suspectContacts).toBe(1);
      expect(saved.conversations.map((c) => c.conversationId)).toEqual(['c1', 'thread-1']);
    });

    it('loses no contact when many turns of one member are recorded at once', async () => {
      const { members, clock } = await setup();
      const member = await members.resolve('webchat:busy');
      await Promise.all(
        Array.from({ length: 15 }, (_, i) =>
          members.recordContact(member.id, contact('webchat', `c${i % 3}`, clock.now())),
        ),
      );
      const saved = await members.require(member.id);
      expect(saved.contacts.webchat).toBe(15);
      expect(saved.conversations).toHaveLength(3);
    });

    it('merges a member into another: keys, conversations and counts move, and its turns follow', async () => {
      const { members, clock } = await setup();
      const anon = await members.resolve('webchat:anon-3');
      await members.recordContact(anon.id, { ...contact('webchat', 'w1', clock.now()), displayName: 'Ana' });
      const ana = await members.createForKey('email:ana@example.com', false);
      await members.recordContact(ana.id, contact('email', 'e1', clock.now() - 60_000));
      const audit = await mergeMembers(members, {
        fromMemberId: anon.id,
        toMemberId: ana.id,
        actor: 'test',
        reason: 'proved email',
      });
      const survivor = await members.require(ana.id);
      expect(survivor.identityKeys.sort()).toEqual(['email:ana@example.com', 'webchat:anon-3']);
      expect(survivor.contacts).toEqual({ webchat: 1, email: 1 });
      expect(survivor.conversations.map((c) => c.conversationId)).toEqual(['e1', 'w1']);
      expect(survivor.profile.displayName).toBe('Ana');
      expect((await members.resolve('webchat:anon-3')).id).toBe(ana.id);
      expect((await members.require(anon.id)).mergedInto).toBe(ana.id);
      expect(await members.store.getAudit(audit.id)).toMatchObject({ actor: 'test', reason: 'proved email' });
      // A turn that resolved the merged member just before the merge still counts, on the survivor.
      await members.recordContact(anon.id, contact('webchat', 'w1', clock.now()));
      expect((await members.require(ana.id)).contacts.webchat).toBe(2);
    });

    it('unmerge gives back the keys and conversations, and keeps what happened since on the survivor', async () => {
      const { members, clock } = await setup();
      const anon = await members.resolve('webchat:anon-4');
      await members.recordContact(anon.id, contact('webchat', 'w1', clock.now()));
      const bob = await members.createForKey('email:bob@example.com', false);
      const audit = await mergeMembers(members, {
        fromMemberId: anon.id,
        toMemberId: bob.id,
        actor: 'test',
        reason: 'test',
      });
      clock.advance(1000);
      await members.recordContact(bob.id, contact('email', 'e9', clock.now()));
      await unmergeMembers(members, audit.id, 'agent:carla');
      expect((await members.resolve('webchat:anon-4')).id).toBe(anon.id);
      const restored = await members.require(anon.id);
      expect(restored.mergedInto).toBeUndefined();
      expect(restored).toMatchObject({ identityKeys: ['webchat:anon-4'], contacts: { webchat: 1 } });
      const survivor = await members.require(bob.id);
      expect(survivor.identityKeys).toEqual(['email:bob@example.com']);
      expect(survivor.contacts).toEqual({ email: 1 });
      expect(survivor.conversations.map((c) => c.conversationId)).toEqual(['e9']);
      await expect(unmergeMembers(members, audit.id, 'again')).rejects.toSatisfy((error) =>
        hasCode(error, IdentityErrorCode.alreadyUnmerged),
      );
    });

    it('never merges two members that proved different emails, and leaves both as they were', async () => {
      const { members } = await setup();
      const ana = await members.createForKey('email:ana@example.com', false);
      const bob = await members.createForKey('email:bob@example.com', false);
      await members.update(ana.id, (m) => ({ ...m, verifiedEmails: ['ana@example.com'] }));
      await members.update(bob.id, (m) => ({ ...m, verifiedEmails: ['bob@example.com'] }));
      await expect(
        mergeMembers(members, { fromMemberId: ana.id, toMemberId: bob.id, actor: 't', reason: 't' }),
      ).rejects.toSatisfy((error) => hasCode(error, IdentityErrorCode.verifiedConflict));
      expect((await members.resolve('email:ana@example.com')).id).toBe(ana.id);
      expect((await members.require(ana.id)).mergedInto).toBeUndefined();
    });

    it('refuses a merge that would give one member more email keys than allowed', async () => {
      const clock = manualClock();
      const members = new Members({ store: await createStore(), clock, rules: { keyLimits: { email: 2 } } });
      const a = await members.createForKey('email:a1@example.com', false);
      await members.addKey(a.id, 'email:a2@example.com');
      const b = await members.createForKey('email:b1@example.com', false);
      await expect(
        mergeMembers(members, { fromMemberId: b.id, toMemberId: a.id, actor: 't', reason: 't' }),
      ).rejects.toSatisfy((error) => hasCode(error, IdentityErrorCode.keyLimit));
      await expect(members.addKey(a.id, 'email:a3@example.com')).rejects.toSatisfy((error) =>
        hasCode(error, IdentityErrorCode.keyLimit),
      );
    });

    it('tells the ledger about merges and unmerges through member.merged and member.unmerged', async () => {
      const { members } = await setup();
      const seen: string[] = [];
      members.events.on('member.merged', (e) => {
        seen.push(`merged ${e.fromMemberId}->${e.toMemberId}`);
      });
      members.events.on('member.unmerged', (e) => {
        seen.push(`unmerged ${e.fromMemberId}->${e.toMemberId}`);
      });
      members.events.on('member.merged', () => {
        throw new Error('a failing listener does not stop the merge');
      });
      const a = await members.resolve('x:1');
      const b = await members.resolve('x:2');
      const audit = await mergeMembers(members, {
        fromMemberId: a.id,
        toMemberId: b.id,
        actor: 't',
        reason: 't',
      });
      await unmergeMembers(members, audit.id, 't');
      expect(seen).toEqual([`merged ${a.id}->${b.id}`, `unmerged ${a.id}->${b.id}`]);
    });

    it('proves a member this process saw by its version alone, and follows what another process did since', async () => {
      const store = await createStore();
      const clock = manualClock();
      const one = new Members({ store, clock });
      const two = new Members({ store, clock });
      const seen = await one.resolveVersioned('webchat:anon-7');
      await one.recordContact(seen.record.id, contact('webchat', 'c7', clock.now()), { hint: seen });
      const hint = one.hintOf('webchat:anon-7');
      if (!hint) throw new Error('no hint of a member this process just recorded');
      // Unchanged: the hint itself, no record read.
      expect(await one.prove('webchat:anon-7', hint)).toBe(hint);
      // Another process recorded a contact: the same member, read afresh.
      await two.recordContact(seen.record.id, contact('webchat', 'c7', clock.now()));
      const fresh = await one.prove('webchat:anon-7', hint);
      expect([fresh.record.id, fresh.version, fresh.record.contacts]).toEqual([
        seen.record.id,
        hint.version + 1,
        { webchat: 2 },
      ]);
      // Another process merged it into a known member: the key's owner now.
      const known = await two.createForKey('email:bo@example.com', false);
      await mergeMembers(two, {
        fromMemberId: seen.record.id,
        toMemberId: known.id,
        actor: 't',
        reason: 't',
      });
      expect((await one.prove('webchat:anon-7', fresh)).record.id).toBe(known.id);
    });

    it('writes nothing for a key whose member is gone until beforeWrite lets it, then gives it a new member', async () => {
      const store = await createStore();
      const members = new Members({ store, clock: manualClock() });
      const gone = await members.resolve('webchat:anon-8');
      // The record is gone but the index still names it (an erase racing the turn).
      await store.delete(gone.id);
      const dropped = new Error('dropped by the rate limit');
      await expect(
        members.resolveVersioned('webchat:anon-8', { beforeWrite: () => Promise.reject(dropped) }),
      ).rejects.toBe(dropped);
      expect(await store.ownerOf('webchat:anon-8')).toBe(gone.id);
      const next = await members.resolveVersioned('webchat:anon-8', { beforeWrite: async () => {} });
      expect(next.record.id).not.toBe(gone.id);
      expect(await store.ownerOf('webchat:anon-8')).toBe(next.record.id);
    });
  });
}
