import { TestAdapter, type TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { type MemberSnapshot, TurnStateKey } from '../../core/turn-state.js';
import { loadGamificationConfig } from '../../gamification/config/schema.js';
import { createGamification } from '../../gamification/create-gamification.js';
import {
  GamificationMiddleware,
  recordLoyaltyEvent,
  turnLoyaltyProfile,
} from '../../gamification/middleware.js';
import { manualClock } from '../contract/ledger-contract.js';

const config = loadGamificationConfig();

/** Stands in for the identity stage: puts the member on the turn state. */
function identity(member: MemberSnapshot | undefined) {
  return {
    onTurn: async (context: TurnContext, next: () => Promise<void>) => {
      if (member) context.turnState.set(TurnStateKey.member, member);
      await next();
    },
  };
}

async function setup(member: MemberSnapshot | undefined, bot: (context: TurnContext) => Promise<void>) {
  const plugin = await createGamification({
    stores: { kind: 'memory', prefix: 'x', redis: undefined },
    config,
    clock: manualClock(),
  });
  const adapter = new TestAdapter(bot)
    .use(identity(member))
    .use(new GamificationMiddleware(plugin.gamification));
  return { adapter, ...plugin };
}

const ana: MemberSnapshot = { id: 'ana', identityKeys: ['webchat:anon-1'], isAnonymous: false };

describe('GamificationMiddleware', () => {
  it('pays the first message of the day and the outcomes a dialog recorded, after the turn', async () => {
    const { adapter, ledger } = await setup(ana, async (context) => {
      if (context.activity.text === 'rate 5') recordLoyaltyEvent(context, { type: 'csat.answered' });
      await context.sendActivity(`you have ${turnLoyaltyProfile(context)?.points ?? '?'} points`);
    });
    await adapter.send('hi').assertReply('you have 0 points');
    await adapter.send('rate 5').assertReply('you have 5 points');
    await adapter.send('thanks').assertReply('you have 25 points');
    expect((await ledger.history('ana')).map((entry) => entry.reason)).toEqual([
      'rule:csat-answered',
      'rule:first-contact-of-day',
    ]);
  });

  it('gives a suspect sender nothing and leaves turns without a member alone', async () => {
    const suspect = await setup({ ...ana, id: 'mallory', isSuspect: true }, async (context) => {
      await context.sendActivity('ok');
    });
    await suspect.adapter.send('hi').assertReply('ok');
    expect((await suspect.ledger.balance('mallory')).balance).toBe(0);
    const nobody = await setup(undefined, async (context) => {
      await context.sendActivity('ok');
    });
    await nobody.adapter.send('hi').assertReply('ok');
    const members: string[] = [];
    for await (const member of nobody.ledger.members()) members.push(member);
    expect(members).toEqual([]);
  });

  it('keeps the conversation going when the loyalty store fails', async () => {
    const { adapter, gamification } = await setup(ana, async (context) => {
      await context.sendActivity('still here');
    });
    gamification.award = async () => {
      throw new Error('Redis is down');
    };
    gamification.profile = gamification.award as never;
    await adapter.send('hi').assertReply('still here');
  });
});
