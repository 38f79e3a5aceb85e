import { type Activity, TestAdapter, type TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import type { MemberSnapshot } from '../../core/turn-state.js';
import { TurnStateKey, turnMember } from '../../core/turn-state.js';
import { IdentityMiddleware } from '../../identity/identity-middleware.js';
import { MemoryMemberStore } from '../../identity/memory-member-store.js';
import { Members } from '../../identity/members.js';

function setup() {
  const members = new Members({
    store: new MemoryMemberStore(),
    clock: { now: () => Date.UTC(2026, 10, 22) },
  });
  const seen: (MemberSnapshot | undefined)[] = [];
  let nluLanguage: string | undefined;
  const adapter = new TestAdapter(async (context: TurnContext) => {
    seen.push(turnMember(context));
    if (nluLanguage) context.turnState.set(TurnStateKey.nlu, { language: nluLanguage });
    await context.sendActivity('ok');
  }).use(new IdentityMiddleware(members));
  const say = (from: string, extra: Partial<Activity> = {}) =>
    adapter.send({ type: 'message', text: 'hola', from: { id: from, name: from }, ...extra } as Activity);
  return { members, seen, say, setNluLanguage: (l: string) => (nluLanguage = l) };
}

describe('identity middleware', () => {
  it('gives every turn the member of its sender, the same member on every turn of one key', async () => {
    const { seen, say } = setup();
    await say('webchat:anon-7').assertReply('ok');
    await say('webchat:anon-7').assertReply('ok');
    await say('slack:T1/U2').assertReply('ok');
    expect(seen[0]).toMatchObject({ isAnonymous: true, identityKeys: ['webchat:anon-7'], isSuspect: false });
    expect(seen[1]?.id).toBe(seen[0]?.id);
    expect(seen[2]?.id).not.toBe(seen[0]?.id);
  });

  it('records contacts per channel, the conversation, the locale as language, and the sender name', async () => {
    const { members, say } = setup();
    await say('email:ana@example.com', {
      channelId: 'email',
      locale: 'es-ES',
      conversation: { id: 'thread-1' } as Activity['conversation'],
      from: { id: 'email:ana@example.com', name: 'Ana Ruiz' },
    }).assertReply('ok');
    const ana = await members.findByKey('email:ana@example.com');
    expect(ana).toMatchObject({
      contacts: { email: 1 },
      lastChannel: 'email',
      profile: { language: 'es', displayName: 'Ana Ruiz' },
      conversations: [{ channelId: 'email', conversationId: 'thread-1' }],
    });
  });

  it('flags a member suspect on a turn whose email failed authentication', async () => {
    const { members, seen, say } = setup();
    await say('email:boss@example.com', { channelData: { hasFailedAuthentication: true } }).assertReply('ok');
    expect(seen[0]?.isSuspect).toBe(true);
    expect((await members.findByKey('email:boss@example.com'))?.suspectContacts).toBe(1);
  });

  it('records the language the NLU detected once the turn ran', async () => {
    const { members, say, setNluLanguage } = setup();
    setNluLanguage('es');
    await say('x:42', { locale: 'en-US' }).assertReply('ok');
    expect((await members.findByKey('x:42'))?.profile.language).toBe('es');
  });

  it('runs the turn without a member when the sender carries no usable key', async () => {
    const { seen, say } = setup();
    await say('webchat:anonymous').assertReply('ok');
    await say('no-key-at-all').assertReply('ok');
    expect(seen).toEqual([undefined, undefined]);
  });
});
