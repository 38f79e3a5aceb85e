/**
 * The parts of botbuilder-dialogs Relevo uses, imported from their own files. The package's index also
 * loads the stock prompts' number, date, time and choice recognizers for a dozen cultures (~17 MB of
 * heap that every mark-compact walks); Relevo uses none of them (its prompts are dialogs/prompt.ts). Every other module imports
 * botbuilder-dialogs through this one (test/dialogs/botbuilder-dialogs-imports.test.ts checks it), so a
 * botbuilder upgrade that moves a file is fixed here. The classes are the index's own (one module per
 * file), so dialogs built from either are the same classes.
 */
export { ComponentDialog } from 'botbuilder-dialogs/lib/componentDialog.js';
export {
  Dialog,
  type DialogEvent,
  type DialogInstance,
  type DialogTurnResult,
  DialogTurnStatus,
} from 'botbuilder-dialogs/lib/dialog.js';
export { DialogContext, type DialogState } from 'botbuilder-dialogs/lib/dialogContext.js';
export { DialogSet } from 'botbuilder-dialogs/lib/dialogSet.js';
export type { DialogStateManagerConfiguration } from 'botbuilder-dialogs/lib/memory/dialogStateManager.js';
// Types only: the module itself loads the choice helpers and a number recognizer (dialogs/prompt.ts).
export type {
  PromptOptions,
  PromptRecognizerResult,
  PromptValidator,
  PromptValidatorContext,
} from 'botbuilder-dialogs/lib/prompts/prompt.js';
export { WaterfallDialog, type WaterfallStep } from 'botbuilder-dialogs/lib/waterfallDialog.js';
export { WaterfallStepContext } from 'botbuilder-dialogs/lib/waterfallStepContext.js';
