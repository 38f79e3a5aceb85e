import type { Channel, Pipeline, TurnLogic } from '../../core/channel.js';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import type { InFlightWork } from '../../core/in-flight.js';
import type { Logger } from '../../core/logger.js';
import { InboundQueue } from '../../storage/inbound-queue.js';
import type { Stores } from '../../storage/stores.js';
import { WebChatAdapter } from './adapter.js';
import { type ConversationStore, keepTurn, MemoryConversationStore } from './conversation-store.js';
import { mountDemoPage } from './demo-page.js';
import { RedisConversationStore } from './redis-conversation-store.js';
import { DirectLineService } from './direct-line.js';
import { mountDirectLine } from './routes.js';
import { DirectLineStreams } from './stream.js';

export { WebChatAdapter } from './adapter.js';
export type { ConversationRecord, ConversationStore } from './conversation-store.js';
export { MemoryConversationStore } from './conversation-store.js';
export { DirectLineError } from './errors.js';
export { RedisConversationStore } from './redis-conversation-store.js';

export interface WebChatChannelOptions {
  stores: Stores;
  pipeline: Pipeline;
  bot: TurnLogic;
  logger: Logger;
  inFlight: InFlightWork;
  /** `DIRECTLINE_SECRET`: absent = anonymous conversations, and `/healthz` says so. */
  secret?: string | undefined;
  clock?: Clock;
  /** Serve the storefront demo page at `/` (default true). */
  demoPage?: boolean;
  /** `MAX_BODY_BYTES`: largest body a client may post (default 256 KiB, Azure's activity limit). */
  maxBodyBytes?: number | undefined;
  /** `INBOUND_VISIBILITY_MS`: how soon another process takes over a dead one's queued turns. */
  visibilityMs?: number | undefined;
}

/**
 * The web chat channel: Relevo's own Direct Line 3.0 service, so Microsoft's Web Chat and any
 * `botframework-directlinejs` client talk to the agent without Azure.
 */
export function createWebChatChannel(options: WebChatChannelOptions): Channel {
  const clock = options.clock ?? systemClock;
  const store: ConversationStore = options.stores.redis
    ? new RedisConversationStore(options.stores.redis, {
        prefix: options.stores.prefix,
        signingSecret: options.secret,
      })
    : new MemoryConversationStore({ pubsub: options.stores.pubsub });
  const adapter = new WebChatAdapter({
    store,
    clock,
    logger: options.logger.child({ channel: 'webchat' }),
    inFlight: options.inFlight,
    pipeline: options.pipeline,
  });
  const logger = options.logger.child({ channel: 'webchat' });
  const inbound = options.stores.inbound('webchat');
  const queue = new InboundQueue({
    backend: inbound,
    locks: options.stores.locks,
    logger,
    handler: (entry) =>
      adapter.processActivity(entry.activity, options.bot, {
        id: entry.id,
        attempt: entry.attempt,
        commit: entry.commit,
      }),
    // A turn's replies, transcript and the entry's removal: one step (one script on Redis).
    // A turn that erased its conversation ("forget me") has shown its goodbye: the log goes now.
    finish: async (partition, holder, done, commit) => {
      const conversationId = commit.conversationId ?? '';
      const next = await store.commit(conversationId, { backend: inbound, partition, holder }, done, commit);
      // Not retried with the commit (that would show the goodbye again): a failure is logged, and on
      // Redis the log still goes within ERASED_CONVERSATION_TTL_MS (10 minutes), which the commit set.
      if (commit.conversationErased) {
        await store.erase(conversationId).catch((error: unknown) => {
          logger.warn({ err: error, conversationId }, "could not erase an erased conversation's log");
        });
      }
      return next;
    },
    // A turn that failed after its state was saved still shows its replies (the re-run's are skipped).
    keep: async (commit) => {
      const conversationId = commit.conversationId ?? '';
      await keepTurn(store, conversationId, inbound.transcripts, commit);
      if (commit.conversationErased) await store.erase(conversationId);
    },
    ...(options.visibilityMs === undefined ? {} : { visibilityMs: options.visibilityMs }),
  });
  const service = new DirectLineService({ adapter, queue, inbound, secret: options.secret, clock, logger });
  const streams = new DirectLineStreams(service, store, options.stores.pubsub, options.logger);
  return {
    name: 'webchat',
    adapter,
    health: () => ({ status: 'on', detail: service.isAnonymous ? 'anonymous' : 'secret' }),
    mount: (server) => {
      mountDirectLine(server, service, streams, options.logger, options.maxBodyBytes);
      if (options.demoPage !== false)
        mountDemoPage(server, service, () => store.signingKey(), options.logger, options.maxBodyBytes);
    },
    start: async () => {
      queue.start();
    },
    close: async () => {
      await queue.stop();
      await streams.close();
    },
    eraseConversation: (conversationId) => store.erase(conversationId),
  };
}
