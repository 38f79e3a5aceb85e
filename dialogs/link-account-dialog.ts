import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from './botbuilder-dialogs.js';
import { TextPrompt } from './prompt.js';
import { TurnStateKey } from '../core/turn-state.js';
import type { NluResult } from '../nlu-models/recognizer/types.js';
import { replyLanguage, t } from './i18n.js';
import type { MessageKey } from './locales/en.js';
import type { IdentityService, LinkFailure } from './services.js';

function linkFailure(lang: 'en' | 'es', reason: LinkFailure | undefined): string {
  return t(lang, `link.reason.${reason ?? 'unavailable'}` as MessageKey);
}

export const LINK_ACCOUNT_DIALOG = 'linkAccount';
const EMAIL_PROMPT = 'emailPrompt';
const CODE_PROMPT = 'codePrompt';
const CODE_LOOP = 'codeLoop';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

/**
 * "Link my account": asks for the account's email (or takes the one the customer just gave), has the
 * identity layer send a 6-digit code there, and links this channel's identity once the code is typed.
 */
export class LinkAccountDialog extends ComponentDialog {
  constructor(identity: IdentityService | undefined) {
    super(LINK_ACCOUNT_DIALOG);
    this.initialDialogId = 'steps';
    this.addDialog(
      new TextPrompt(EMAIL_PROMPT, async (prompt) => EMAIL.test((prompt.recognized.value ?? '').trim())),
    );
    this.addDialog(
      new TextPrompt(CODE_PROMPT, async (prompt) => /^\s*\d{6}\s*$/.test(prompt.recognized.value ?? '')),
    );
    this.addDialog(
      new WaterfallDialog(CODE_LOOP, [
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const { email, retry } = step.options as { email: string; retry?: string };
          return step.prompt(CODE_PROMPT, {
            prompt: retry ?? t(lang, 'link.sent', { email }),
            retryPrompt: t(lang, 'link.sent', { email }),
          });
        },
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const { email } = step.options as { email: string };
          const outcome = await identity?.confirmLinkCode(step.context, String(step.result).trim());
          if (outcome?.ok) {
            await step.context.sendActivity(t(lang, 'link.done'));
            return step.endDialog({ resolved: true });
          }
          if (outcome && (outcome.triesLeft ?? 0) > 0) {
            return step.replaceDialog(CODE_LOOP, {
              email,
              retry: t(lang, 'link.bad.code', { left: outcome.triesLeft ?? 0 }),
            });
          }
          await step.context.sendActivity(
            t(lang, 'link.failed', { reason: linkFailure(lang, outcome?.reason) }),
          );
          return step.endDialog({ resolved: false });
        },
      ]),
    );
    this.addDialog(
      new WaterfallDialog('steps', [
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          if (!identity) {
            await step.context.sendActivity(t(lang, 'link.unavailable'));
            return step.endDialog({ resolved: false });
          }
          const nlu = step.context.turnState.get(TurnStateKey.nlu) as NluResult | undefined;
          const given = (nlu?.entities as { email?: string[] } | undefined)?.email?.[0];
          if (given) return step.next(given);
          return step.prompt(EMAIL_PROMPT, {
            prompt: t(lang, 'link.ask.email'),
            retryPrompt: t(lang, 'link.bad.email'),
          });
        },
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const email = String(step.result).trim().toLowerCase();
          const sent = await identity?.sendLinkCode(step.context, email);
          if (!sent?.ok) {
            await step.context.sendActivity(
              t(lang, 'link.not.sent', { reason: linkFailure(lang, sent?.reason) }),
            );
            return step.endDialog({ resolved: false });
          }
          return step.beginDialog(CODE_LOOP, { email });
        },
        async (step: WaterfallStepContext) => step.endDialog(step.result),
      ]),
    );
  }
}
