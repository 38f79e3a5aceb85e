import type { StatePropertyAccessor } from 'botbuilder';
import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from './botbuilder-dialogs.js';
import { TextPrompt } from './prompt.js';
import type { Clock } from '../core/clock.js';
import { replyLanguage, t } from './i18n.js';
import { ListPrompt } from './prompts.js';
import type { SurveySink } from './services.js';

export const SATISFACTION_DIALOG = 'satisfaction';
const CSAT_PROMPT = 'csatPrompt';
const NPS_PROMPT = 'npsPrompt';
/** NPS is asked at most once per 90 days per member, on any channel. */
export const NPS_INTERVAL_MS = 90 * 24 * 60 * 60 * 1000;

/** What the member's state remembers of their survey answers. */
export interface SurveyState {
  csat?: { score: number; at: number }[];
  nps?: { score: number; at: number }[];
  npsAskedAt?: number;
}

/** CSAT (1–5) at the end of a resolved conversation, then NPS (0–10) when the member is due for it. */
export class SatisfactionDialog extends ComponentDialog {
  constructor(surveys: StatePropertyAccessor<SurveyState>, sink: SurveySink | undefined, clock: Clock) {
    super(SATISFACTION_DIALOG);
    this.initialDialogId = 'steps';
    this.addDialog(new ListPrompt(CSAT_PROMPT));
    this.addDialog(
      new TextPrompt(NPS_PROMPT, async (prompt) => /^\s*(10|[0-9])\s*$/.test(prompt.recognized.value ?? '')),
    );
    this.addDialog(
      new WaterfallDialog('steps', [
        async (step: WaterfallStepContext) =>
          step.prompt(CSAT_PROMPT, {
            prompt: t(replyLanguage(step.context), 'csat.question'),
            choices: ['1', '2', '3', '4', '5'],
          }),
        async (step: WaterfallStepContext) => {
          const score = (step.result as number) + 1;
          const state = await surveys.get(step.context, {});
          state.csat = [...(state.csat ?? []), { score, at: clock.now() }].slice(-20);
          await surveys.set(step.context, state);
          await sink?.record(step.context, 'csat', score);
          const lang = replyLanguage(step.context);
          if (state.npsAskedAt !== undefined && clock.now() - state.npsAskedAt < NPS_INTERVAL_MS) {
            await step.context.sendActivity(t(lang, 'csat.thanks'));
            return step.endDialog();
          }
          state.npsAskedAt = clock.now();
          await surveys.set(step.context, state);
          return step.prompt(NPS_PROMPT, {
            prompt: t(lang, 'nps.question'),
            retryPrompt: t(lang, 'nps.retry'),
          });
        },
        async (step: WaterfallStepContext) => {
          const score = Number(String(step.result).trim());
          const state = await surveys.get(step.context, {});
          state.nps = [...(state.nps ?? []), { score, at: clock.now() }].slice(-20);
          await surveys.set(step.context, state);
          await sink?.record(step.context, 'nps', score);
          await step.context.sendActivity(t(replyLanguage(step.context), 'nps.thanks'));
          return step.endDialog();
        },
      ]),
    );
  }
}
