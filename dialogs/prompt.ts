import { type Activity, ActivityTypes, InputHints, type TurnContext } from 'botbuilder';
import {
  Dialog,
  type DialogContext,
  type DialogEvent,
  type DialogInstance,
  type DialogTurnResult,
  type PromptOptions,
  type PromptRecognizerResult,
  type PromptValidator,
} from './botbuilder-dialogs.js';

/**
 * A waiting question's instance state. The layout is the one botbuilder-dialogs' prompts store, so a
 * conversation saved while one of them waited (before Relevo had its own) carries on, and back.
 */
interface Waiting {
  options: PromptOptions;
  state: { attemptCount?: number } & Record<string, unknown>;
}

/** A prompt activity marked as waiting for the customer's answer, unless it says otherwise. */
function expectingInput(prompt: PromptOptions['prompt']): PromptOptions['prompt'] {
  if (typeof prompt !== 'object' || typeof prompt.inputHint === 'string') return prompt;
  return { ...prompt, inputHint: InputHints.ExpectingInput } satisfies Partial<Activity>;
}

/**
 * A question that waits for the customer's answer: asked on begin, asked again (its retry wording)
 * while the answer is not understood or the validator refuses it, ended with the recognised value.
 * Relevo's own, rather than botbuilder-dialogs' `Prompt`, whose module loads the choice helpers and a
 * number recognizer for a dozen cultures (~3.5 MB of heap every mark-compact walks) that Relevo's
 * prompts never call; and as native async methods, which keep no turn context alive through
 * scavenges the way down-levelled ones do (docs/benchmarks.md, "Found: what keeps a finished turn
 * alive through scavenges"). Subclasses say how to ask and how to read an answer.
 */
export abstract class Prompt<T> extends Dialog {
  constructor(
    dialogId: string,
    private readonly validator?: PromptValidator<T>,
  ) {
    super(dialogId);
  }

  async beginDialog(dc: DialogContext, options: PromptOptions = {}): Promise<DialogTurnResult> {
    const waiting = waitingOn(dc.activeDialog);
    waiting.options = {
      ...options,
      prompt: expectingInput(options.prompt),
      retryPrompt: expectingInput(options.retryPrompt),
    };
    waiting.state = {};
    await this.onPrompt(dc.context, waiting.state, waiting.options, false);
    return Dialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    // Typing indicators, events and the like are no answer: keep waiting.
    if (dc.context.activity.type !== ActivityTypes.Message) return Dialog.EndOfTurn;
    const waiting = waitingOn(dc.activeDialog);
    const answer = await this.onRecognize(dc.context, waiting.state, waiting.options);
    if (await this.accepts(dc.context, answer, waiting)) return dc.endDialog(answer.value);
    // A validator that replied has said what was wrong; otherwise ask again.
    if (!dc.context.responded) await this.onPrompt(dc.context, waiting.state, waiting.options, true);
    return Dialog.EndOfTurn;
  }

  /** A parent may interrupt on an incoming message unless this prompt understands it as its answer. */
  protected override async onPreBubbleEvent(dc: DialogContext, event: DialogEvent): Promise<boolean> {
    if (event.name !== 'activityReceived' || dc.context.activity.type !== ActivityTypes.Message) return false;
    const waiting = waitingOn(dc.activeDialog);
    return (await this.onRecognize(dc.context, waiting.state, waiting.options)).succeeded;
  }

  /** A dialog started on top of the question ended: ask it again. */
  override async resumeDialog(dc: DialogContext): Promise<DialogTurnResult> {
    await this.repromptDialog(dc.context, dc.activeDialog as DialogInstance);
    return Dialog.EndOfTurn;
  }

  override async repromptDialog(context: TurnContext, instance: DialogInstance): Promise<void> {
    const waiting = waitingOn(instance);
    await this.onPrompt(context, waiting.state, waiting.options, false);
  }

  protected abstract onPrompt(
    context: TurnContext,
    state: object,
    options: PromptOptions,
    isRetry: boolean,
  ): Promise<void>;

  protected abstract onRecognize(
    context: TurnContext,
    state: object,
    options: PromptOptions,
  ): Promise<PromptRecognizerResult<T>>;

  /** Without a validator, any recognised answer; with one, its verdict (counting the attempts). */
  private async accepts(
    context: TurnContext,
    answer: PromptRecognizerResult<T>,
    waiting: Waiting,
  ): Promise<boolean> {
    if (!this.validator) return answer.succeeded;
    const attemptCount = (waiting.state.attemptCount ?? 0) + 1;
    waiting.state.attemptCount = attemptCount;
    return this.validator({
      context,
      recognized: answer,
      state: waiting.state,
      options: waiting.options,
      attemptCount,
    });
  }
}

function waitingOn(instance: DialogInstance | undefined): Waiting {
  return (instance as DialogInstance).state as Waiting;
}

/** Any non-empty text is an answer (then the validator, if any, decides). */
export class TextPrompt extends Prompt<string> {
  protected async onPrompt(
    context: TurnContext,
    _state: object,
    options: PromptOptions,
    isRetry: boolean,
  ): Promise<void> {
    const question = isRetry && options.retryPrompt ? options.retryPrompt : options.prompt;
    if (question) await context.sendActivity(question, undefined, InputHints.ExpectingInput);
  }

  protected async onRecognize(context: TurnContext): Promise<PromptRecognizerResult<string>> {
    const text = context.activity.text;
    return typeof text === 'string' && text.length > 0
      ? { succeeded: true, value: text }
      : { succeeded: false };
  }

  /** Free text would take any message as its answer, so it never stops a parent from interrupting. */
  protected override async onPreBubbleEvent(): Promise<boolean> {
    return false;
  }
}
