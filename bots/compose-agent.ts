import type { Pipeline, TurnLogic } from '../core/channel.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { createAgentDialogs, type OrderService } from '../dialogs/index.js';
import {
  createGameDialogs,
  createGamification,
  GamificationMiddleware,
  type GamificationPlugin,
  loadGamificationConfig,
  type RandomInt,
  recordLoyaltyEvent,
} from '../gamification/index.js';
import { createIdentity, type Identity, redactActivity } from '../identity/index.js';
import { NluRecognizer } from '../nlu-models/index.js';
import { StateMiddleware } from '../storage/state-middleware.js';
import type { Stores } from '../storage/stores.js';
import { RelevoAgent } from './agent.js';
import type { Config } from './config.js';
import { identityPort } from './identity-port.js';
import { loyaltyPort } from './loyalty-port.js';
import { NluStage } from './nlu-stage.js';
import { createPipeline } from './pipeline.js';

export interface ComposeAgentOptions {
  config: Config;
  logger: Logger;
  stores: Stores;
  clock?: Clock;
  /** Randomness of the games and reward codes; default crypto. Seeded only for repeatable fixtures. */
  random?: RandomInt;
  /** Your own bot's turn logic instead of the Relevo agent (the pipeline stays the same). */
  bot?: TurnLogic;
  /** The shop's order system; default: the demo store. */
  orders?: OrderService;
  /** A recognizer built elsewhere; default: the retail model, cached on disk. */
  recognizer?: NluRecognizer;
}

/** Everything a channel needs to run turns: the pipeline and the bot, and the features behind them. */
export interface AgentComposition {
  pipeline: Pipeline;
  bot: TurnLogic;
  identity: Identity;
  loyalty: GamificationPlugin;
  recognizer: NluRecognizer;
}

/**
 * Builds the agent independent of any server: the NLU, the identity layer, the turn state, the pipeline
 * in its fixed order and the Relevo agent with its dialogs. The server and the conversation fixtures use
 * this one composition, so what the fixtures prove is what runs.
 */
export async function composeAgent(options: ComposeAgentOptions): Promise<AgentComposition> {
  const { config, logger, stores } = options;
  const recognizer = options.recognizer ?? (await NluRecognizer.create({ logger }));
  const identity = createIdentity({
    stores,
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    smtpUrl: config.SMTP_URL,
    emailFrom: config.EMAIL_FROM,
    apiToken: config.RELEVO_API_TOKEN,
  });
  const loyalty = await createGamification({
    stores,
    config: loadGamificationConfig(),
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
  // One customer, one balance: a merge moves the merged member's points, badges and streak.
  identity.members.events.on('member.merged', (event) =>
    loyalty.gamification.mergeMembers(event.fromMemberId, event.toMemberId, `merge:${event.auditId}`),
  );
  const state = new StateMiddleware(stores.storage, { logger });
  const language = state.userProperty<string | undefined>('language');
  const pipeline = createPipeline({
    stores,
    logger,
    state,
    identity: identity.middleware,
    loyalty: new GamificationMiddleware(loyalty.gamification, { logger }),
    redact: redactActivity,
    nlu: new NluStage(recognizer, language, logger),
  });
  let bot = options.bot;
  if (!bot) {
    const main = createAgentDialogs({
      state,
      ...(options.orders ? { orders: options.orders } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      identity: identityPort(identity, stores.transcripts),
      loyalty: loyaltyPort(loyalty, identity.members),
      games: createGameDialogs(loyalty, {
        plays: stores.idempotency,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.random ? { random: options.random } : {}),
      }),
      surveys: {
        // CSAT answers earn points (once a day, capped by the earn rules); analytics will read them too.
        record: async (context, survey) => {
          if (survey === 'csat') recordLoyaltyEvent(context, { type: 'csat.answered' });
        },
      },
      faq: (intent, lang) => recognizer.answersFor(intent, lang),
    });
    const agent = new RelevoAgent(main, language);
    bot = (context) => agent.run(context);
  }
  return { pipeline, bot, identity, loyalty, recognizer };
}
