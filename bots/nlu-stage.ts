import type { Middleware, StatePropertyAccessor, TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { TurnStateKey } from '../core/turn-state.js';
import type { NluRecognizer } from '../nlu-models/index.js';

/**
 * The NLU stage: language, intent, entities and sentiment of every message, left on the turn for the
 * dialogs and the handoff policy. The member's remembered language (which the agent keeps) is the hint
 * when detection is unsure, so a short "ok" after a Spanish conversation stays Spanish on any process.
 */
export class NluStage implements Middleware {
  constructor(
    private readonly recognizer: NluRecognizer,
    private readonly language: StatePropertyAccessor<string | undefined>,
    private readonly logger: Logger,
  ) {}

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const { type, text, from, locale } = context.activity;
    if (type === 'message' && typeof text === 'string' && text.trim() !== '') {
      const remembered = await this.language.get(context);
      // What the customer chose or last wrote in beats the channel's default locale (Web Chat: en-US).
      const hint = remembered ?? locale;
      try {
        const result = this.recognizer.recognizeText(text, {
          ...(from?.id ? { userId: from.id } : {}),
          ...(hint ? { locale: hint } : {}),
        });
        context.turnState.set(TurnStateKey.nlu, result);
      } catch (error) {
        // Without NLU the agent still answers (with its menu); the failure is for the operator to see.
        this.logger.error({ err: error }, 'NLU failed on a message');
      }
    }
    await next();
  }
}
