import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from './botbuilder-dialogs.js';
import { replyLanguage, t } from './i18n.js';
import { ListPrompt } from './prompts.js';
import type { GamesService } from './services.js';

export const GAMES_DIALOG = 'games';
const GAME_PROMPT = 'gamePrompt';

export type GameChoice = 'trivia' | 'dailySpin';

/** The games menu: trivia or the daily spin, started in place (the games are gamification's dialogs). */
export class GamesDialog extends ComponentDialog {
  constructor(games: GamesService | undefined) {
    super(GAMES_DIALOG);
    this.initialDialogId = 'steps';
    this.addDialog(new ListPrompt(GAME_PROMPT));
    if (games) {
      this.addDialog(games.trivia);
      this.addDialog(games.dailySpin);
    }
    this.addDialog(
      new WaterfallDialog('steps', [
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          if (!games) {
            await step.context.sendActivity(t(lang, 'games.unavailable'));
            return step.endDialog({ resolved: false });
          }
          const chosen = (step.options as { game?: GameChoice } | undefined)?.game;
          if (chosen) return step.next(chosen === 'trivia' ? 0 : 1);
          return step.prompt(GAME_PROMPT, {
            prompt: t(lang, 'games.which'),
            choices: [t(lang, 'games.trivia'), t(lang, 'games.spin')],
          });
        },
        async (step: WaterfallStepContext) => {
          const game = step.result === 0 ? games?.trivia : games?.dailySpin;
          return game ? step.beginDialog(game.id) : step.endDialog({ resolved: false });
        },
        async (step: WaterfallStepContext) => step.endDialog({ resolved: true }),
      ]),
    );
  }
}
