import type { TurnContext } from 'botbuilder';
import type { Server } from 'restify';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { OpenApiRegistry } from '../core/openapi.js';
import type { Stores } from '../storage/stores.js';
import { eraseAfterTurn, IdentityMiddleware, type KeptRun } from './identity-middleware.js';
import type { IdentityRules } from './identity-rules.js';
import { MemoryDurableTimers, RedisDurableTimers } from './journey/durable-timers.js';
import { Journey } from './journey/journey.js';
import { parseWaypointRules } from './journey/waypoint-rules.js';
import {
  type ConversationErasers,
  type ConversationRef,
  type ErasureReport,
  eraseMember,
  finishErase,
  type PendingErase,
} from './privacy.js';
import { LinkService, type RateLimit } from './link-service.js';
import type { MemberStore } from './member-store.js';
import { Members } from './members.js';
import { MemoryMemberStore } from './memory-member-store.js';
import type { ProfileSection } from './profile.js';
import { RedisMemberStore } from './redis-member-store.js';
import { mountIdentityRoutes } from './routes.js';

export interface IdentityOptions {
  /**
   * The agent's stores: members live on the same Redis (or in memory), transcripts feed the profile,
   * and an erase deletes the member's items in `storage` (turn state, conversation state, references).
   */
  stores: Pick<Stores, 'kind' | 'prefix' | 'redis' | 'transcripts'> & { storage?: Stores['storage'] };
  logger?: Logger;
  clock?: Clock;
  rules?: Partial<IdentityRules>;
  /**
   * channelId → what deletes the channel's own data of a conversation (web chat's Direct Line log); an
   * erase deletes it for each of the member's conversations. The composition root fills it once the
   * channels exist.
   */
  conversationErasers?: ConversationErasers;
  /** `SMTP_URL` and `EMAIL_FROM`; without both, linking is off (no LinkService, no link routes). */
  smtpUrl?: string | undefined;
  emailFrom?: string | undefined;
  link?: { codeTtlMs?: number; maxTries?: number; perMember?: RateLimit; perAddress?: RateLimit };
  /** `RELEVO_API_TOKEN` for the member routes. */
  apiToken: string | undefined;
  /** Extra sections of the 360° profile (points, tier, badges…). */
  profileSections?: readonly ProfileSection[];
  /** The waypoint rules file's parsed JSON (`{rules: […]}`), validated here; absent: no rules. */
  waypointRules?: unknown;
  /** How often this process polls for due waypoint timers. */
  journeyPollIntervalMs?: number;
  /** A state stage follows the identity stage on the turn (IdentityMiddlewareOptions.proveWithStateRead). */
  proveWithStateRead?: boolean;
}

/** The identity plugin, ready for the composition root. */
export interface Identity {
  members: Members;
  middleware: IdentityMiddleware;
  linkService: LinkService | undefined;
  /** Journey events and waypoints; `journey.onWaypoint(…)` sends the proactive message. */
  journey: Journey;
  /**
   * Erases a member with everything the agent's stores hold of it (identity/privacy.ts `eraseMember`
   * with the stores' transcripts and storage): what `DELETE /api/members/{id}` and "forget me" do.
   * Inside a turn, pass it: the storage items and transcripts go once the turn is over, after the
   * stages that still write them in this turn.
   */
  erase(
    memberId: string,
    request: { actor: string; reason: string },
    turn?: TurnContext,
  ): Promise<ErasureReport>;
  /** Starts polling the waypoint timers (once the server listens). */
  start(): void;
  /** Mounts `/api/members/…` and registers them in the OpenAPI document. */
  mount(server: Server, openapi?: OpenApiRegistry): void;
  close(): Promise<void>;
}

/**
 * Builds the identity layer on the agent's stores: members on Redis when the stores are, the turn
 * middleware, the link service when SMTP is configured, and the member routes.
 */
export function createIdentity(options: IdentityOptions): Identity {
  const logger = (options.logger ?? silentLogger).child({ feature: 'identity' });
  const store: MemberStore = options.stores.redis
    ? new RedisMemberStore(options.stores.redis, { prefix: options.stores.prefix })
    : new MemoryMemberStore();
  const members = new Members({
    store,
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.rules ? { rules: options.rules } : {}),
  });
  const linkService =
    options.smtpUrl && options.emailFrom
      ? new LinkService({
          members,
          smtpUrl: options.smtpUrl,
          from: options.emailFrom,
          logger,
          ...options.link,
        })
      : undefined;
  const timers = options.stores.redis
    ? new RedisDurableTimers(options.stores.redis, { prefix: options.stores.prefix })
    : new MemoryDurableTimers();
  const journey = new Journey({
    members,
    timers,
    rules: options.waypointRules === undefined ? [] : parseWaypointRules(options.waypointRules),
    logger,
    ...(options.journeyPollIntervalMs ? { pollIntervalMs: options.journeyPollIntervalMs } : {}),
  });
  // The members each running turn erased (see `erase`); dropped with the turn.
  const erasedInTurn = new WeakMap<TurnContext, Map<string, ErasureReport>>();
  const finish = (pending: PendingErase, keep: KeptRun = {}, turnConversation?: ConversationRef) =>
    finishErase(pending, {
      storage: options.stores.storage,
      transcripts: options.stores.transcripts,
      conversationErasers: options.conversationErasers,
      keepOutboxOf: keep.outboxOf,
      keepActivityOutboxOf: keep.activityOutboxOf,
      turnConversation,
    });
  return {
    members,
    journey,
    start: () => journey.start(),
    erase: async (memberId, request, turn) => {
      // A turn whose save met a conflict runs its dialog again, which erases the same member again:
      // answered with the first erase's report instead of a 404 on the member it deleted.
      const earlier = turn && erasedInTurn.get(turn)?.get(memberId);
      if (earlier) return earlier;
      const report = await eraseMember(members, memberId, {
        ...request,
        transcripts: options.stores.transcripts,
        storage: options.stores.storage,
        conversationErasers: options.conversationErasers,
        ...(turn
          ? {
              afterTurn: (pending: PendingErase) => {
                if (eraseAfterTurn(turn, pending)) return;
                finish(pending).catch((error: unknown) =>
                  logger.warn({ err: error, memberId }, 'could not finish erasing a member after the turn'),
                );
              },
            }
          : {}),
      });
      if (turn) erasedInTurn.set(turn, (erasedInTurn.get(turn) ?? new Map()).set(memberId, report));
      return report;
    },
    middleware: new IdentityMiddleware(members, {
      logger,
      proveWithStateRead: options.proveWithStateRead ?? false,
      finishErase: finish,
    }),
    linkService,
    mount(server, openapi) {
      mountIdentityRoutes(server, {
        members,
        transcripts: options.stores.transcripts,
        storage: options.stores.storage,
        conversationErasers: options.conversationErasers,
        linkService,
        apiToken: options.apiToken,
        openapi,
        profileSections: options.profileSections ?? [],
        journey,
      });
    },
    close: async () => {
      await journey.stop();
      linkService?.close();
    },
  };
}
