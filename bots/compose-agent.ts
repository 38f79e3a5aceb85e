import { readFileSync } from 'node:fs';
import type { BotAdapter, TurnContext } from 'botbuilder';
import { type Analytics, createAnalytics, recordOutcome, sessionKey } from '../analytics/index.js';
import type { Pipeline, TurnLogic } from '../core/channel.js';
import type { InFlightWork } from '../core/in-flight.js';
import { type MemberSnapshot, turnMember } from '../core/turn-state.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { createAgentDialogs, type MainDialog, type OrderService, toLang } from '../dialogs/index.js';
import {
  createGameDialogs,
  createGamification,
  GamificationMiddleware,
  type GamificationPlugin,
  loadGamificationConfig,
  type RandomInt,
  recordLoyaltyEvent,
  turnLoyaltyProfile,
} from '../gamification/index.js';
import { conversationStateKey, createHandoffs, HandoffMiddleware, type Handoffs } from '../handoff/index.js';
import { createIdentity, type Identity, redactActivity } from '../identity/index.js';
import { NluRecognizer } from '../nlu-models/index.js';
import { StateMiddleware } from '../storage/state-middleware.js';
import type { Stores } from '../storage/stores.js';
import { RelevoAgent } from './agent.js';
import type { Config } from './config.js';
import { ConversationReferences } from './conversation-references.js';
import { DEFAULT_WAYPOINT_RULES } from './default-waypoints.js';
import { handoffPort } from './handoff-port.js';
import { identityPort } from './identity-port.js';
import { loyaltyPort, loyaltyProfileSection } from './loyalty-port.js';
import { recordExpiredPoints, withRedemptionOutcomes } from './outcome-hooks.js';
import { NluStage } from './nlu-stage.js';
import { createPipeline } from './pipeline.js';
import { MemoryRateCounter, RedisRateCounter } from '../storage/rate-counter.js';
import { RateLimitMiddleware } from '../storage/rate-limit-middleware.js';

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
  /** The server's in-flight work: shutdown waits for handoff deliveries to a hub. */
  inFlight?: InFlightWork;
}

/** Everything a channel needs to run turns: the pipeline and the bot, and the features behind them. */
export interface AgentComposition {
  pipeline: Pipeline;
  bot: TurnLogic;
  identity: Identity;
  loyalty: GamificationPlugin;
  handoffs: Handoffs;
  analytics: Analytics;
  /** channelId → adapter, for the desk's replies; the server fills it once the channels exist. */
  adapters: Map<string, BotAdapter>;
  /** channelId → the channel's `eraseConversation`, for identity's erase; the server fills it too. */
  conversationErasers: Map<string, (conversationId: string) => Promise<void>>;
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
  const plugin = await createGamification({
    stores,
    config: config.LOYALTY_CONFIG_FILE
      ? loadGamificationConfig(config.LOYALTY_CONFIG_FILE)
      : loadGamificationConfig(),
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
  const conversationErasers = new Map<string, (conversationId: string) => Promise<void>>();
  const identity = createIdentity({
    stores,
    logger,
    conversationErasers,
    ...(options.clock ? { clock: options.clock } : {}),
    smtpUrl: config.SMTP_URL,
    emailFrom: config.EMAIL_FROM,
    apiToken: config.RELEVO_API_TOKEN,
    waypointRules: config.WAYPOINT_RULES_FILE
      ? JSON.parse(readFileSync(config.WAYPOINT_RULES_FILE, 'utf8'))
      : DEFAULT_WAYPOINT_RULES,
    // The agent's 360° view shows the member's points, tier and badges beside their conversations.
    profileSections: [loyaltyProfileSection(plugin)],
    // The state stage below reads with the proof of a member this process saw moments ago.
    proveWithStateRead: true,
  });

  // One customer, one balance: a merge moves the merged member's points, badges and streak.
  identity.members.events.on('member.merged', (event) =>
    plugin.gamification.mergeMembers(event.fromMemberId, event.toMemberId, `merge:${event.auditId}`),
  );
  const analytics = await createAnalytics({
    stores,
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    queueLength: async () => (await handoffs.queue.waiting()).length,
    flushMs: config.ANALYTICS_FLUSH_MS,
  });
  const loyalty = withRedemptionOutcomes(plugin, analytics);
  recordExpiredPoints(plugin.ledger, analytics);
  const references = new ConversationReferences(stores.storage, logger);
  // The loyalty profile is read alongside the state, not on its own (one round trip for both).
  const loyaltyStage = new GamificationMiddleware(loyalty.gamification, { logger, loadProfile: false });
  // The state stage also reads the handoff policy and analytics session items, for the later stages.
  const state = new StateMiddleware(stores.storage, {
    logger,
    alongside: (context) => [loyaltyStage.preload(context)],
    prefetch: ({ activity }) =>
      activity.type === 'message' && activity.conversation?.id
        ? [
            conversationStateKey(activity.channelId, activity.conversation.id),
            sessionKey(activity.channelId, activity.conversation.id),
          ]
        : [],
  });
  const language = state.userProperty<string | undefined>('language');
  // The handoff packet and the desk see the member with their loyalty tier and points.
  const memberOf = (context: TurnContext): MemberSnapshot | undefined => {
    const member = turnMember(context);
    const profile = turnLoyaltyProfile(context);
    return member && { ...member, tier: profile?.tier.id, points: profile?.points };
  };
  let main: MainDialog | undefined;
  const adapters = new Map<string, BotAdapter>();
  const handoffs = createHandoffs({
    stores,
    adapters,
    logger,
    ...(options.inFlight ? { inFlight: options.inFlight } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    redact: redactActivity,
    conversationsOf: async (memberId) => (await identity.members.get(memberId))?.conversations ?? [],
    hub:
      config.HANDOFF_HUB_URL && config.HANDOFF_HUB_SECRET
        ? { url: config.HANDOFF_HUB_URL, secret: config.HANDOFF_HUB_SECRET }
        : undefined,
    // The agent resolved: the bot takes the conversation back and asks how it went.
    ...(options.bot
      ? {}
      : {
          onResolved: async ({ record }, context) =>
            main?.resumeAfterHandoff(context, toLang(record.language) ?? 'en'),
        }),
  });
  // Forgetting a member forgets their handoffs too: identity keys, name, notes and transcript.
  identity.members.events.on('member.erased', async ({ memberId }) => {
    await handoffs.eraseMember(memberId);
  });
  const pipeline = createPipeline({
    stores,
    logger,
    rateLimit: new RateLimitMiddleware({
      counter: stores.redis
        ? new RedisRateCounter(stores.redis, { prefix: stores.prefix })
        : new MemoryRateCounter(options.clock),
      limit: config.RATE_LIMIT_PER_MINUTE,
      // A queued turn's count travels with the state read: identity and the conversation references,
      // which run before the state stage, write nothing of the turn before the verdict.
      withStateRead: true,
      logger,
    }),
    state,
    identity: identity.middleware,
    references,
    loyalty: loyaltyStage,
    redact: redactActivity,
    analytics: analytics.middleware,
    handoff: new HandoffMiddleware({
      handoffs,
      logger,
      memberOf,
      saveWithTurnState: true,
      policy: {
        confidenceThreshold: config.HANDOFF_CONFIDENCE_THRESHOLD,
        lowConfidenceTurns: config.HANDOFF_LOW_CONFIDENCE_TURNS,
        negativeScoreThreshold: config.HANDOFF_NEGATIVE_SCORE,
      },
    }),
    nlu: new NluStage(recognizer, language, logger),
  });
  let bot = options.bot;
  if (!bot) {
    main = createAgentDialogs({
      state,
      ...(options.orders ? { orders: options.orders } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      identity: identityPort(identity),
      loyalty: loyaltyPort(loyalty, identity.members),
      handoff: handoffPort(handoffs, memberOf),
      games: createGameDialogs(loyalty, {
        plays: stores.idempotency,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.random ? { random: options.random } : {}),
      }),
      surveys: {
        // CSAT answers earn points (once a day, capped by the earn rules) and feed the KPIs.
        record: async (context, survey, score) => {
          if (survey === 'csat') recordLoyaltyEvent(context, { type: 'csat.answered' });
          await analytics.surveys.record(context, survey, score);
        },
      },
      outcomes: {
        taskResolved: (context, intent) =>
          recordOutcome(context, { type: 'bot.resolved', ...(intent ? { intent } : {}) }),
      },
      faq: (intent, lang) => recognizer.answersFor(intent, lang),
    });
    const agent = new RelevoAgent(main, language);
    bot = (context) => agent.run(context);
  }
  // A journey waypoint (an abandoned cart…) speaks up on the member's last active channel.
  identity.journey.onWaypoint(async ({ rule, member, conversation, message }) => {
    await analytics.record({
      type: 'waypoint.fired',
      waypoint: rule.name,
      member: analytics.service.hashMember(member.id),
    });
    if (!conversation) return;
    const reference = await references.get(conversation.channelId, conversation.conversationId);
    const adapter = adapters.get(conversation.channelId);
    if (!reference || !adapter) {
      logger.warn(
        { channelId: conversation.channelId },
        'waypoint reached, but no way back to the conversation',
      );
      return;
    }
    await adapter.continueConversation(reference, async (context) => {
      await context.sendActivity(message);
    });
  });
  await analytics.watchHandoffs(handoffs);
  return { pipeline, bot, identity, loyalty, handoffs, adapters, conversationErasers, analytics, recognizer };
}
