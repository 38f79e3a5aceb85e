import { ActivityTypes, InputHints, type TurnContext } from 'botbuilder';
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

/** What a prompt keeps in its dialog instance's state: the same fields as botbuilder-dialogs' `Prompt`. */
interface PromptInstanceState {
  options: PromptOptions;
  state: { attemptCount?: number } & Record<string, unknown>;
}

/**
 * botbuilder-dialogs' `Prompt`, step for step and with the same dialog state, so a conversation
 * waiting at a prompt carries on across the change. Its own module loads botbuilder-dialogs' choice
 * helpers, and with them a number recognizer for a dozen cultures (~3.5 MB of heap that every
 * mark-compact walks) that Relevo's prompts never call. Written as native async methods, too: the
 * package's down-levelled ones keep each call's arguments, the turn's context among them, alive
 * through scavenges (docs/benchmarks.md, "Found: what keeps a finished turn alive through scavenges").
 */
export abstract class Prompt<T> extends Dialog {
  constructor(
    dialogId: string,
    private readonly validator?: PromptValidator<T>,
  ) {
    super(dialogId);
  }

  async beginDialog(dc: DialogContext, options?: PromptOptions): Promise<DialogTurnResult> {
    const opt: PromptOptions = { ...options };
    if (opt.prompt && typeof opt.prompt === 'object' && typeof opt.prompt.inputHint !== 'string')
      opt.prompt.inputHint = InputHints.ExpectingInput;
    if (
      opt.retryPrompt &&
      typeof opt.retryPrompt === 'object' &&
      typeof opt.retryPrompt.inputHint !== 'string'
    )
      opt.retryPrompt.inputHint = InputHints.ExpectingInput;
    const state = instanceState(dc);
    state.options = opt;
    state.state = {};
    await this.onPrompt(dc.context, state.state, state.options, false);
    return Dialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    if (dc.context.activity.type !== ActivityTypes.Message) return Dialog.EndOfTurn;
    // Coming back after an interruption (an adaptive dialog's step count): ask again.
    const stepCount: unknown = dc.state.getValue('turn.stepCount');
    if (typeof stepCount === 'number' && stepCount > 0) {
      await this.repromptDialog(dc.context, dc.activeDialog as DialogInstance);
      return Dialog.EndOfTurn;
    }
    const state = instanceState(dc);
    const recognized = await this.onRecognize(dc.context, state.state, state.options);
    let isValid = false;
    if (this.validator) {
      if (state.state.attemptCount === undefined) state.state.attemptCount = 0;
      state.state.attemptCount += 1;
      isValid = await this.validator({
        context: dc.context,
        recognized,
        state: state.state,
        options: state.options,
        attemptCount: state.state.attemptCount,
      });
    } else isValid = recognized.succeeded;
    if (isValid) return await dc.endDialog(recognized.value);
    if (!dc.context.responded) await this.onPrompt(dc.context, state.state, state.options, true);
    return Dialog.EndOfTurn;
  }

  protected override async onPreBubbleEvent(dc: DialogContext, event: DialogEvent): Promise<boolean> {
    if (event.name !== 'activityReceived' || dc.context.activity.type !== ActivityTypes.Message) return false;
    const state = instanceState(dc);
    return (await this.onRecognize(dc.context, state.state, state.options)).succeeded;
  }

  /** A dialog pushed on top of the prompt ended: ask again rather than end the prompt. */
  override async resumeDialog(dc: DialogContext): Promise<DialogTurnResult> {
    await this.repromptDialog(dc.context, dc.activeDialog as DialogInstance);
    return Dialog.EndOfTurn;
  }

  override async repromptDialog(context: TurnContext, instance: DialogInstance): Promise<void> {
    const state = instance.state as PromptInstanceState;
    await this.onPrompt(context, state.state, state.options, false);
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
}

function instanceState(dc: DialogContext): PromptInstanceState {
  return (dc.activeDialog as DialogInstance).state as PromptInstanceState;
}

/** botbuilder-dialogs' `TextPrompt`: any non-empty text, then the validator's verdict. */
export class TextPrompt extends Prompt<string> {
  protected async onPrompt(
    context: TurnContext,
    _state: object,
    options: PromptOptions,
    isRetry: boolean,
  ): Promise<void> {
    if (isRetry && options.retryPrompt)
      await context.sendActivity(options.retryPrompt, undefined, InputHints.ExpectingInput);
    else if (options.prompt) await context.sendActivity(options.prompt, undefined, InputHints.ExpectingInput);
  }

  protected async onRecognize(context: TurnContext): Promise<PromptRecognizerResult<string>> {
    const value = context.activity.text;
    return typeof value === 'string' && value.length > 0 ? { succeeded: true, value } : { succeeded: false };
  }
}
