import { describe, expect, it } from 'vitest';
import { mergeMembers } from '../../identity/merge.js';
import { MemoryMemberStore } from '../../identity/memory-member-store.js';
import type { MemberRecord } from '../../identity/member-record.js';
import { type MemberContact, Members } from '../../identity/members.js';
import { eraseMember } from '../../identity/privacy.js';

/** Two processes on one member store: each keeps its own hints of recent members. */
function twoProcesses() {
  const store = new MemoryMemberStore();
  let now = Date.UTC(2026, 10, 22, 9);
  const clock = { now: () => now };
  return {
    store,
    one: new Members({ store, clock }),
    two: new Members({ store, clock }),
    later: (ms: number) => {
      now += ms;
    },
  };
}

/**
 * One message on the turn path, as the identity stage takes it: a hint of this process proven with a
 * read of the member's version (or the key looked up), then the contact recorded against that version.
 */
async function message(members: Members, key: string, at: MemberContact): Promise<MemberRecord> {
  const hint = members.hintOf(key);
  const found = hint ? await members.prove(key, hint) : await members.resolveVersioned(key);
  return members.recordContact(found.record.id, at, { hint: found });
}

const contact = (conversationId: string): MemberContact => ({
  channel: 'webchat',
  channelId: 'webchat',
  conversationId,
  at: Date.UTC(2026, 10, 22, 9),
});

describe('member hints on the turn path', () => {
  it('counts every contact once when two processes take turns of one member', async () => {
    const { one, two } = twoProcesses();
    const first = await message(one, 'webchat:anon-1', contact('c1'));
    for (let i = 0; i < 3; i++) {
      await message(two, 'webchat:anon-1', contact('c1'));
      await message(one, 'webchat:anon-1', contact('c1'));
    }
    const stored = await one.get(first.id);
    expect(stored?.contacts.webchat).toBe(7);
  });

  it('follows a merge another process made since this one last saw the member', async () => {
    const { one, two } = twoProcesses();
    const anonymous = await message(one, 'webchat:anon-2', contact('c2'));
    const known = await two.createForKey('email:ana@example.com', false);
    await mergeMembers(two, {
      fromMemberId: anonymous.id,
      toMemberId: known.id,
      actor: 'test',
      reason: 'linked',
    });
    const next = await message(one, 'webchat:anon-2', contact('c2'));
    expect(next.id).toBe(known.id);
    expect((await one.get(known.id))?.contacts.webchat).toBeGreaterThanOrEqual(1);
  });

  it('gives an erased member key a new anonymous member, even right after this process saw it', async () => {
    const { one, two } = twoProcesses();
    const before = await message(one, 'webchat:anon-3', contact('c3'));
    await eraseMember(two, before.id, { actor: 'test', reason: 'asked', transcripts: undefined });
    const after = await message(one, 'webchat:anon-3', contact('c3'));
    expect(after.id).not.toBe(before.id);
    expect(after.identityKeys).toEqual(['webchat:anon-3']);
    expect((await two.findByKey('webchat:anon-3'))?.id).toBe(after.id);
  });

  it('keeps a member it saw for five minutes, the pace a person types at, and reads it again after', async () => {
    const { one, store, later } = twoProcesses();
    const member = await message(one, 'webchat:anon-4', contact('c4'));
    let reads = 0;
    let versionReads = 0;
    const get = store.get.bind(store);
    store.get = async (id) => {
      reads++;
      return get(id);
    };
    const version = store.version.bind(store);
    store.version = async (id) => {
      versionReads++;
      return version(id);
    };
    await message(one, 'webchat:anon-4', contact('c4'));
    later(60_000);
    await message(one, 'webchat:anon-4', contact('c4'));
    // Only the version is read (the proof, which travels with the state read), not the record.
    expect({ reads, versionReads }).toEqual({ reads: 0, versionReads: 2 });
    later(300_001);
    await message(one, 'webchat:anon-4', contact('c4'));
    expect(reads).toBe(1);
    expect((await one.get(member.id))?.contacts.webchat).toBe(4);
  });
});
