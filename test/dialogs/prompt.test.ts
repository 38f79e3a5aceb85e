import {
  type Activity,
  AutoSaveStateMiddleware,
  ConversationState,
  MemoryStorage,
  MessageFactory,
  TestAdapter,
} from 'botbuilder';
// botbuilder-dialogs' own prompt, which Relevo's replaces: only this test loads it.
import { TextPrompt as PackageTextPrompt } from 'botbuilder-dialogs/lib/prompts/textPrompt.js';
import { describe, expect, it } from 'vitest';
import {
  ComponentDialog,
  type DialogContext,
  type DialogEvent,
  DialogSet,
  type PromptValidatorContext,
  WaterfallDialog,
} from '../../dialogs/botbuilder-dialogs.js';
import { TextPrompt } from '../../dialogs/prompt.js';

type TextPromptClass = typeof TextPrompt | typeof PackageTextPrompt;

/** A waterfall asking for an order number (retried until it looks like one), then a name with no check. */
function dialogsWith(Prompt: TextPromptClass, storage: MemoryStorage) {
  const state = new ConversationState(storage);
  const dialogs = new DialogSet(state.createProperty('dialogState'));
  dialogs.add(cancellable(Prompt));
  const looksLikeOrder = async (prompt: PromptValidatorContext<string>) => {
    const ok = /^ORD-\d{6}$/.test(prompt.recognized.value ?? '');
    if (!ok && prompt.attemptCount >= 3) await prompt.context.sendActivity(`Attempt ${prompt.attemptCount}.`);
    return ok;
  };
  const order = new ComponentDialog('order');
  order.addDialog(
    new WaterfallDialog('steps', [
      async (step) =>
        step.prompt('orderNumber', {
          prompt: MessageFactory.text('Your order number?'),
          retryPrompt: 'It looks like ORD-123456.',
        }),
      async (step) => {
        (step.values as { order?: string }).order = step.result;
        return step.prompt('name', { prompt: 'Your name?' });
      },
      async (step) => {
        await step.context.sendActivity(
          `${step.result}, order ${(step.values as { order?: string }).order} is on its way.`,
        );
        return step.endDialog();
      },
    ]),
  );
  order.addDialog(new Prompt('orderNumber', looksLikeOrder));
  order.addDialog(new Prompt('name'));
  dialogs.add(order);
  return { state, dialogs };
}

/** Runs `inputs` as turns of one conversation on `storage`, each with the prompt class `classes(turn)`. */
async function converse(
  inputs: Partial<Activity>[],
  storage: MemoryStorage,
  classes: (turn: number) => TextPromptClass,
): Promise<{ replies: Partial<Activity>[][]; states: unknown[] }> {
  const replies: Partial<Activity>[][] = [];
  const states: unknown[] = [];
  for (const [turn, input] of inputs.entries()) {
    const { state, dialogs } = dialogsWith(classes(turn), storage);
    const sent: Partial<Activity>[] = [];
    const adapter = new TestAdapter(async (context) => {
      context.onSendActivities(async (_context, activities, next) => {
        sent.push(...activities.map(({ text, inputHint }) => ({ text, inputHint })));
        return next();
      });
      const dc = await dialogs.createContext(context);
      const result = await dc.continueDialog();
      if (result.status === 'empty' && context.activity.type === 'message' && !context.responded)
        await dc.beginDialog(context.activity.text?.startsWith('cancel') ? 'cancellable' : 'order');
    }).use(new AutoSaveStateMiddleware(state));
    await adapter.send(input as Activity).startTest();
    replies.push(sent);
    // A waterfall's instance id is random: the same placeholder on both sides.
    const saved = JSON.stringify(await storage.read([CONVERSATION]), (key, value) =>
      key === 'instanceId' ? 'random' : value,
    );
    states.push(JSON.parse(saved));
  }
  return { replies, states };
}

// TestAdapter's conversation, as ConversationState keys it.
const CONVERSATION = 'test/conversations/Convo1/';

const TURNS: Partial<Activity>[] = [
  { type: 'message', text: 'hi' },
  { type: 'message', text: 'no idea' },
  { type: 'event', name: 'typing' },
  { type: 'message', text: '' },
  { type: 'message', text: 'ORD12' },
  { type: 'message', text: 'ORD-100002' },
  { type: 'message', text: 'Ana' },
];

describe("Relevo's TextPrompt", () => {
  it('answers every turn of a conversation with the replies and dialog state botbuilder-dialogs’ TextPrompt gives', async () => {
    const theirs = await converse(TURNS, new MemoryStorage(), () => PackageTextPrompt);
    const ours = await converse(TURNS, new MemoryStorage(), () => TextPrompt);
    expect(ours).toEqual(theirs);
    expect(ours.replies).toEqual([
      // MessageFactory.text sets its own hint, which the prompt keeps.
      [{ text: 'Your order number?', inputHint: 'acceptingInput' }],
      [{ text: 'It looks like ORD-123456.', inputHint: 'expectingInput' }],
      [],
      [{ text: 'It looks like ORD-123456.', inputHint: 'expectingInput' }],
      [{ text: 'Attempt 3.', inputHint: 'acceptingInput' }],
      [{ text: 'Your name?', inputHint: 'expectingInput' }],
      [{ text: 'Ana, order ORD-100002 is on its way.', inputHint: 'acceptingInput' }],
    ]);
  });

  it('carries on a conversation that botbuilder-dialogs’ TextPrompt was waiting in before the upgrade', async () => {
    const storage = new MemoryStorage();
    const upgraded = await converse(TURNS, storage, (turn) => (turn < 2 ? PackageTextPrompt : TextPrompt));
    const theirs = await converse(TURNS, new MemoryStorage(), () => PackageTextPrompt);
    expect(upgraded).toEqual(theirs);
  });

  it('lets a parent dialog interrupt it on "cancel", as botbuilder-dialogs’ TextPrompt does', async () => {
    const cancel: Partial<Activity>[] = [
      { type: 'message', text: 'cancel me' },
      { type: 'message', text: 'cancel' },
    ];
    const theirs = await converse(cancel, new MemoryStorage(), () => PackageTextPrompt);
    const ours = await converse(cancel, new MemoryStorage(), () => TextPrompt);
    expect(ours.replies).toEqual([
      [{ text: 'Your name?', inputHint: 'expectingInput' }],
      [{ text: 'Cancelled.', inputHint: 'acceptingInput' }],
    ]);
    expect(ours).toEqual(theirs);
  });

  it('leaves a conversation botbuilder-dialogs’ TextPrompt can carry on after a rollback', async () => {
    const storage = new MemoryStorage();
    const rolledBack = await converse(TURNS, storage, (turn) => (turn < 2 ? TextPrompt : PackageTextPrompt));
    const theirs = await converse(TURNS, new MemoryStorage(), () => PackageTextPrompt);
    expect(rolledBack).toEqual(theirs);
  });
});

/**
 * A dialog that asks a name and gives way to "cancel" in its pre-bubble event, the interruption
 * botbuilder-dialogs documents; a conversation whose first message starts with "cancel" begins it.
 */
function cancellable(Prompt: TextPromptClass): ComponentDialog {
  class Cancellable extends ComponentDialog {
    protected override async onPreBubbleEvent(dc: DialogContext, event: DialogEvent): Promise<boolean> {
      if (event.name !== 'activityReceived' || dc.context.activity.text !== 'cancel') return false;
      await dc.context.sendActivity('Cancelled.');
      await dc.cancelAllDialogs();
      return true;
    }
  }
  const dialog = new Cancellable('cancellable');
  dialog.addDialog(
    new WaterfallDialog('ask', [
      async (step) => step.prompt('who', { prompt: 'Your name?' }),
      async (step) => step.endDialog(),
    ]),
  );
  dialog.addDialog(new Prompt('who'));
  return dialog;
}
