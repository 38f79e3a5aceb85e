import { type Activity, ConversationState, MemoryStorage, type TurnContext } from 'botbuilder';
import { DialogSet, type DialogState, DialogTurnStatus } from '../../dialogs/botbuilder-dialogs.js';
import { describe, expect, it } from 'vitest';
import { type MemberSnapshot, TurnStateKey } from '../../core/turn-state.js';
import {
  createGameDialogs,
  createGamification,
  loadGamificationConfig,
  loadQuestionBank,
  type RandomInt,
} from '../../gamification/index.js';
import { MemoryIdempotencyStore } from '../../storage/memory-idempotency.js';
import { CollectingAdapter } from '../support/collecting-adapter.js';
import { manualClock } from '../contract/ledger-contract.js';

const bank = loadQuestionBank('en');
/** Ana is one member whatever the channel (identity linked her web chat and Slack keys). */
const ana: MemberSnapshot = {
  id: 'member-ana',
  identityKeys: ['webchat:ana', 'slack:T1:U1'],
  isAnonymous: false,
};

/**
 * The game dialogs behind a stand-in for the identity stage (Ana on every turn) and dialog state saved
 * after each turn — no dedupe stage, so a redelivered activity reaches the dialogs.
 */
async function setup(random: RandomInt = (max) => max - 1) {
  const clock = manualClock(Date.UTC(2026, 10, 22, 12));
  const plugin = await createGamification({
    stores: { kind: 'memory', prefix: 'x', redis: undefined },
    config: loadGamificationConfig(),
    clock,
  });
  const games = createGameDialogs(plugin, { plays: new MemoryIdempotencyStore(), clock, random });
  const conversationState = new ConversationState(new MemoryStorage());
  const dialogs = new DialogSet(conversationState.createProperty<DialogState>('dialogState'));
  dialogs.add(games.trivia).add(games.dailySpin);
  const adapter = new CollectingAdapter();
  adapter.logic = async (context: TurnContext) => {
    context.turnState.set(TurnStateKey.member, ana);
    const dc = await dialogs.createContext(context);
    const result = await dc.continueDialog();
    const game = { trivia: games.trivia, spin: games.dailySpin }[context.activity.text];
    if (result.status === DialogTurnStatus.empty && game) await dc.beginDialog(game.id);
    await conversationState.saveChanges(context);
  };
  /** Sends `text` and answers what the agent sent back. */
  const say = async (
    text: string,
    options: { id?: string; channelId?: string; conversationId?: string } = {},
  ) => {
    await adapter.processActivityFor({ type: 'message', text }, { userId: 'webchat:ana', ...options });
    return adapter.sent.splice(0);
  };
  const balance = async () => (await plugin.ledger.balance(ana.id)).balance;
  return { say, balance };
}

/** The number (1-based) to send for the right option of a question activity, looked up in the bank. */
function rightNumber(question: Partial<Activity>): string {
  const text = (question.text ?? '').replace(/^Question \d of \d: /, '');
  const asked = bank.questions.find((q) => q.text === text);
  const titles = question.suggestedActions?.actions.map((action) => action.title) ?? [];
  return String(titles.indexOf(asked?.options[asked.answer] ?? '') + 1);
}

describe('trivia dialog', () => {
  it('asks without revealing the answer: buttons carry only a title and their position', async () => {
    const { say } = await setup();
    const [, question] = await say('trivia');
    expect(question?.text).toMatch(/^Question 1 of 5: /);
    const actions = question?.suggestedActions?.actions ?? [];
    expect(actions.length).toBeGreaterThan(1);
    actions.forEach((action, index) => {
      expect(action).toEqual({ type: 'imBack', title: expect.any(String), value: String(index + 1) });
    });
    const { suggestedActions: _buttons, ...rest } = question as Partial<Activity>;
    expect(JSON.stringify(rest)).not.toMatch(/answer|correct/i);
    expect(rest).not.toHaveProperty('channelData');
    expect(rest).not.toHaveProperty('value');
  });

  it('shuffles the options with the injected randomness', async () => {
    const shown = async (random: RandomInt) => {
      const [, question] = await (await setup(random)).say('trivia');
      return question?.suggestedActions?.actions.map((action) => action.title);
    };
    const first = await shown(() => 0);
    const last = await shown((max) => max - 1);
    // Both draw the same first question (the bank's first or last); its options come in another order
    // than the bank lists them at least once.
    const orders = [first, last].map((titles) => {
      const q = bank.questions.find((candidate) => candidate.options.includes(titles?.[0] as string));
      return JSON.stringify(titles) === JSON.stringify(q?.options);
    });
    expect(orders).toContain(false);
  });

  it('pays a play once even when the last answer is delivered twice', async () => {
    const { say, balance } = await setup();
    let [, question] = await say('trivia');
    for (let n = 1; n < 5; n += 1) {
      const replies = await say(rightNumber(question as Partial<Activity>));
      expect(replies[0]?.text).toBe('Right!');
      question = replies[1];
    }
    const last = rightNumber(question as Partial<Activity>);
    const result = await say(last, { id: 'answer-5' });
    expect(result.map((activity) => activity.text)).toEqual([
      'Right!',
      'You got 5 of 5 right and earned 50 points, and a win! Your balance is now 60 points.',
    ]);
    expect(await say(last, { id: 'answer-5' })).toEqual([]);
    expect(await balance()).toBe(60);
  });

  it('ignores a redelivered answer instead of reading it as the answer to the next question', async () => {
    const { say } = await setup();
    const [, first] = await say('trivia');
    const replies = await say(rightNumber(first as Partial<Activity>), { id: 'answer-1' });
    expect(replies[1]?.text).toMatch(/^Question 2 of 5: /);
    expect(await say(rightNumber(first as Partial<Activity>), { id: 'answer-1' })).toEqual([]);
    const next = await say(rightNumber(replies[1] as Partial<Activity>));
    expect(next.map((activity) => activity.text)).toEqual([
      'Right!',
      expect.stringMatching(/^Question 3 of 5/),
    ]);
  });

  it('lets a member play once a day, whichever channel they come back on', async () => {
    const { say } = await setup();
    await say('trivia', { channelId: 'webchat', conversationId: 'web-1' });
    const slack = await say('trivia', { channelId: 'slack', conversationId: 'slack-1' });
    expect(slack.map((activity) => activity.text)).toEqual([
      "You've already played today's trivia. Come back tomorrow for five new questions!",
    ]);
  });
});

describe('daily spin dialog', () => {
  it('shows the published odds on request and credits the prize once, even for a redelivered spin', async () => {
    const { say, balance } = await setup();
    await say('spin');
    const odds = await say('2');
    expect(odds[0]?.text).toBe(
      'The chances of each spin:\n• Try again tomorrow: 40 %\n• 10 points: 35 %\n• 50 points: 20 %\n• 200 points: 5 %',
    );
    // The last ticket of the wheel is the 200-point slot.
    const spun = await say('1', { id: 'spin-1' });
    expect(spun.map((activity) => activity.text)).toEqual([
      'The wheel stops on… 200 points! Your balance is now 200 points.',
    ]);
    expect(await say('1', { id: 'spin-1' })).toEqual([]);
    expect(await balance()).toBe(200);
  });

  it('spins once a day across channels', async () => {
    const { say, balance } = await setup();
    await say('spin', { channelId: 'webchat', conversationId: 'web-1' });
    await say('1', { channelId: 'webchat', conversationId: 'web-1' });
    await say('spin', { channelId: 'slack', conversationId: 'slack-1' });
    const again = await say('Spin the wheel', { channelId: 'slack', conversationId: 'slack-1' });
    expect(again.map((activity) => activity.text)).toEqual([
      "You've already spun the wheel today. Come back tomorrow for another spin!",
    ]);
    expect(await balance()).toBe(200);
  });
});
