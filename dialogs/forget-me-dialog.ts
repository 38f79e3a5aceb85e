import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from './botbuilder-dialogs.js';
import { addYesNoPrompt, confirm } from './confirm.js';
import { replyLanguage, t } from './i18n.js';
import type { IdentityService } from './services.js';

export const FORGET_ME_DIALOG = 'forgetMe';

/** "Forget me": after an explicit confirmation, the identity layer erases the member. */
export class ForgetMeDialog extends ComponentDialog {
  constructor(identity: IdentityService | undefined) {
    super(FORGET_ME_DIALOG);
    this.initialDialogId = 'steps';
    addYesNoPrompt(this);
    this.addDialog(
      new WaterfallDialog('steps', [
        async (step: WaterfallStepContext) => {
          if (!identity) {
            await step.context.sendActivity(t(replyLanguage(step.context), 'forget.unavailable'));
            return step.endDialog({ resolved: false });
          }
          return confirm(step, t(replyLanguage(step.context), 'forget.confirm'));
        },
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          if (step.result !== true) {
            // Declining ends the task; the router then asks whether anything else is needed.
            return step.endDialog({ resolved: true });
          }
          await identity?.forget(step.context);
          await step.context.sendActivity(t(lang, 'forget.done'));
          // Nothing about an erased member is kept, not even a satisfaction score.
          return step.endDialog({ resolved: false, erased: true });
        },
      ]),
    );
  }
}
