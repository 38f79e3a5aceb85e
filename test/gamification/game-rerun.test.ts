import { randomUUID } from 'node:crypto';
import type { TurnContext } from 'botbuilder';
import { DialogSet, type DialogState, DialogTurnStatus } from '../../dialogs/botbuilder-dialogs.js';
import { describe, expect, inject, it } from 'vitest';
import { type MemberSnapshot, TurnStateKey } from '../../core/turn-state.js';
import {
  createGameDialogs,
  createGamification,
  loadGamificationConfig,
  type RandomInt,
} from '../../gamification/index.js';
import { StateMiddleware } from '../../storage/state-middleware.js';
import { createStores, type StoresOptions } from '../../storage/stores.js';
import { manualClock } from '../contract/ledger-contract.js';
import { CollectingAdapter } from '../support/collecting-adapter.js';
import { customerMessage } from '../support/customer-message.js';

const ana: MemberSnapshot = { id: 'member-ana', identityKeys: ['test:user-1'], isAnonymous: false };
const CONVERSATION = 'test/conversations/conversation-1';
const SPUN_200 = 'The wheel stops on… 200 points! Your balance is now 200 points.';
const ALREADY_SPUN = "You've already spun the wheel today. Come back tomorrow for another spin!";

/**
 * Draws the wheel's last ticket (the 200-point slot) first and its first ticket ("try again") after:
 * a second draw for the same play would change the prize.
 */
function lastThenFirst(): RandomInt {
  let draws = 0;
  return (max) => (draws++ === 0 ? max - 1 : 0);
}

/**
 * The game dialogs behind the state stage on real stores, as queued turns: `deliver(id, text, attempt)`
 * is the inbound queue running entry `id`; with `queued` false it is an activity run in its HTTP
 * request (a Bot Framework invoke or expectReplies message), whose retry is the same activity again
 * with no queue attempt. `beforeSave` runs once, after the dialog of the next run and
 * before its save (another writer, or a fault).
 */
async function world(options: StoresOptions) {
  const stores = await createStores({ ...options, prefix: `rerun-${randomUUID().slice(0, 8)}` });
  const clock = manualClock(Date.UTC(2026, 10, 22, 12));
  const plugin = await createGamification({ stores, config: loadGamificationConfig(), clock });
  const games = createGameDialogs(plugin, { plays: stores.idempotency, clock, random: lastThenFirst() });
  const state = new StateMiddleware(stores.storage);
  const dialogs = new DialogSet(state.conversationProperty<DialogState>('dialogState'));
  dialogs.add(games.trivia).add(games.dailySpin);
  const member = {
    onTurn: async (context: TurnContext, next: () => Promise<void>) => {
      context.turnState.set(TurnStateKey.member, ana);
      await next();
    },
  };
  const adapter = new CollectingAdapter({ pipeline: [member, state] });
  const hooks: { beforeSave?: (() => Promise<void>) | undefined } = {};
  const bot = async (context: TurnContext) => {
    const dc = await dialogs.createContext(context);
    const result = await dc.continueDialog();
    const game = { trivia: games.trivia, spin: games.dailySpin }[context.activity.text];
    if (result.status === DialogTurnStatus.empty && game) await dc.beginDialog(game.id);
    const hook = hooks.beforeSave;
    hooks.beforeSave = undefined;
    await hook?.();
  };
  const deliver = async (
    id: string,
    text: string,
    attempt = 1,
    conversationId = 'conversation-1',
    queued = true,
  ) => {
    const activity = customerMessage(id, text, { conversation: { id: conversationId } as never });
    await adapter.processActivity(activity, bot, queued ? { id, attempt } : undefined);
    return adapter.sent.splice(0).map((activity) => activity.text);
  };
  const history = async () => (await plugin.ledger.history(ana.id)).map((entry) => entry.delta);
  return { stores, clock, hooks, deliver, history };
}

const deployments: [string, () => StoresOptions][] = [
  ['one Redis', () => ({ redisUrl: inject('redisUrl') })],
  ['a Redis Cluster', () => ({ redisClusterUrls: inject('redisClusterUrls') })],
];

describe.each(deployments)('a daily game turn run again (%s)', (_name, storesOptions) => {
  it('answers the spin its save conflicted on with the same prize, credited once, and refuses a second spin', async () => {
    const { stores, hooks, deliver, history } = await world(storesOptions());
    await deliver('in-1', 'spin');
    // Another process writes the conversation's state while the spin runs: its save conflicts and the
    // state stage runs the turn again on the state as it is now.
    hooks.beforeSave = async () => {
      const { eTag: _eTag, ...current } = (await stores.storage.read([CONVERSATION]))[CONVERSATION] ?? {};
      await stores.storage.write({ [CONVERSATION]: { ...current, touched: true, eTag: '*' } });
    };
    expect(await deliver('in-2', '1')).toEqual([SPUN_200]);
    expect(await history()).toEqual([200]);

    await deliver('in-3', 'spin');
    expect(await deliver('in-4', '1')).toEqual([ALREADY_SPUN]);
    expect(await history()).toEqual([200]);
    await stores.close();
  });

  it('answers a spin whose process died before its save with the same prize when the queue delivers it again', async () => {
    const { stores, hooks, deliver, history } = await world(storesOptions());
    await deliver('in-1', 'spin');
    // The spin is drawn and credited, then its run dies before the state is saved: nothing is shown.
    hooks.beforeSave = async () => {
      throw new Error('the process died');
    };
    await expect(deliver('in-2', '1')).rejects.toThrow('the process died');
    expect(await deliver('in-2', '1', 2)).toEqual([SPUN_200]);
    expect(await history()).toEqual([200]);
    await stores.close();
  });

  it('pays a spin once when its re-delivery comes after midnight, and lets the member spin the new day', async () => {
    const { stores, clock, hooks, deliver, history } = await world(storesOptions());
    clock.set(Date.UTC(2026, 10, 22, 23, 59, 58));
    await deliver('in-1', 'spin');
    hooks.beforeSave = async () => {
      throw new Error('the process died');
    };
    await expect(deliver('in-2', '1')).rejects.toThrow('the process died');
    clock.advance(10_000);
    expect(await deliver('in-2', '1', 2)).toEqual([SPUN_200]);
    expect(await history()).toEqual([200]);
    // The new day's spin is still the member's (the wheel now draws its first ticket: no points).
    await deliver('in-3', 'spin');
    expect(await deliver('in-4', '1')).toEqual([
      'The wheel stops on… Try again tomorrow. No points this time; come back tomorrow!',
    ]);
    await stores.close();
  });

  it('pays a spin once when the channel retries an invoke or expectReplies answer after midnight', async () => {
    const { stores, clock, hooks, deliver, history } = await world(storesOptions());
    clock.set(Date.UTC(2026, 10, 22, 23, 59, 50));
    await deliver('act-1', 'spin', 1, 'conversation-1', false);
    hooks.beforeSave = async () => {
      throw new Error('the process died');
    };
    await expect(deliver('act-2', '1', 1, 'conversation-1', false)).rejects.toThrow('the process died');
    clock.advance(15_000); // the channel sends it again once the first delivery's claim lapsed
    expect(await deliver('act-2', '1', 1, 'conversation-1', false)).toEqual([SPUN_200]);
    expect(await history()).toEqual([200]);
    await stores.close();
  });

  it('pays a spin once when its save conflicts across midnight and the turn runs again', async () => {
    const { stores, clock, hooks, deliver, history } = await world(storesOptions());
    clock.set(Date.UTC(2026, 10, 22, 23, 59, 59, 900));
    await deliver('in-1', 'spin');
    hooks.beforeSave = async () => {
      const { eTag: _eTag, ...current } = (await stores.storage.read([CONVERSATION]))[CONVERSATION] ?? {};
      await stores.storage.write({ [CONVERSATION]: { ...current, touched: true, eTag: '*' } });
      clock.advance(1_000); // the re-run starts after the member's midnight
    };
    expect(await deliver('in-2', '1')).toEqual([SPUN_200]);
    expect(await history()).toEqual([200]);
    await stores.close();
  });

  it('starts the trivia of a turn run again instead of saying it was played, and only that turn', async () => {
    const { stores, hooks, deliver } = await world(storesOptions());
    hooks.beforeSave = async () => {
      throw new Error('the process died');
    };
    await expect(deliver('in-1', 'trivia')).rejects.toThrow('the process died');
    const rerun = await deliver('in-1', 'trivia', 2);
    expect(rerun[0]).toMatch(/^Trivia time!/);
    expect(rerun[1]).toMatch(/^Question 1 of 5: /);
    // Another turn (here in another conversation of Ana's) finds today's play taken.
    expect(await deliver('in-1', 'trivia', 1, 'conversation-2')).toEqual([
      "You've already played today's trivia. Come back tomorrow for five new questions!",
    ]);
    await stores.close();
  });
});
