import { randomBytes } from 'node:crypto';
import type { Activity } from 'botbuilder';
import type { Clock } from '../../core/clock.js';
import { identityKey } from '../../core/identity-key.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { InboundBackend } from '../../storage/inbound-backend.js';
import type { InboundQueue } from '../../storage/inbound-queue.js';
import type { WebChatAdapter } from './adapter.js';
import type { ActivitySet, ConversationRecord, Posted } from './conversation-store.js';
import { DirectLineError } from './errors.js';
import { inboundActivity, WEBCHAT_CHANNEL_ID } from './inbound.js';
import {
  bearer,
  isSecret,
  signToken,
  TOKEN_LIFETIME_MS,
  type TokenClaims,
  VerifiedTokens,
} from './verify.js';

/** Who is calling: the site's server (the secret), a browser holding a token, or anyone (no secret set). */
export type Caller = { kind: 'secret' } | { kind: 'token'; claims: TokenClaims } | { kind: 'anonymous' };

export interface DirectLineServiceOptions {
  adapter: WebChatAdapter;
  /** Where posted activities wait for their turn (durably, when on Redis). */
  queue: InboundQueue;
  /** The queue's backend: a post's echo and its turn are queued in one step on it. */
  inbound: InboundBackend;
  /** How long a post waits for its turn before answering anyway (default 15 s, Azure's bot timeout). */
  turnWaitMs?: number;
  logger?: Logger;
  /** `DIRECTLINE_SECRET`; absent = anonymous conversations allowed. */
  secret?: string | undefined;
  clock: Clock;
}

/** What `POST /conversations`, reconnect and the token routes answer. */
export interface ConversationGrant {
  conversationId: string;
  token: string;
  expires_in: number;
}

const USER_ID = /^[\w.@:-]{1,64}$/;

/** The inbound queue's partition of a conversation: its turns run in order under `turn:<partition>`. */
export function webChatPartition(conversationId: string): string {
  return `${WEBCHAT_CHANNEL_ID}:${conversationId}`;
}

/**
 * Direct Line 3.0 semantics without HTTP: authentication, conversations bound to one user, tokens,
 * posting an activity (echo, then the bot's turn) and reading activities by watermark.
 */
export class DirectLineService {
  private readonly adapter: WebChatAdapter;
  private readonly secret: string | undefined;
  private readonly clock: Clock;
  private readonly queue: InboundQueue;
  private readonly inbound: InboundBackend;
  private readonly turnWaitMs: number;
  private readonly logger: Logger;
  private readonly tokens = new VerifiedTokens();

  constructor(options: DirectLineServiceOptions) {
    this.adapter = options.adapter;
    this.secret = options.secret;
    this.clock = options.clock;
    this.queue = options.queue;
    this.inbound = options.inbound;
    this.turnWaitMs = options.turnWaitMs ?? 15_000;
    this.logger = options.logger ?? silentLogger;
  }

  get isAnonymous(): boolean {
    return this.secret === undefined;
  }

  /** Authenticates an `Authorization` header value (or a `t=` token from a stream URL). */
  async authenticate(authorization: string | undefined): Promise<Caller> {
    const credential = bearer(authorization);
    // A browser client configured without credentials sends "Bearer undefined" (directlinejs does).
    if (credential === undefined || credential === 'undefined' || credential === 'null') {
      if (this.isAnonymous) return { kind: 'anonymous' };
      throw new DirectLineError('Unauthorized', 'Send "Authorization: Bearer <secret or token>"');
    }
    if (this.secret !== undefined && isSecret(credential, this.secret)) return { kind: 'secret' };
    const store = this.adapter.store;
    try {
      return {
        kind: 'token',
        claims: this.tokens.verify(credential, await store.verificationKeys(), this.clock.now()),
      };
    } catch (error) {
      if (!(error instanceof DirectLineError && error.directLineCode === 'Forbidden')) throw error;
      // Signed, perhaps, with a key another process created since this one last read it (Redis lost it).
      return {
        kind: 'token',
        claims: this.tokens.verify(credential, await store.verificationKeys(true), this.clock.now()),
      };
    }
  }

  /** The conversation a caller may use: a token works only for its own conversation. */
  async conversationFor(caller: Caller, conversationId: string): Promise<ConversationRecord> {
    if (caller.kind === 'anonymous') throw new DirectLineError('Unauthorized', 'This request needs a token');
    if (caller.kind === 'token' && caller.claims.conversationId !== conversationId) {
      throw new DirectLineError('Forbidden', 'The token is for another conversation');
    }
    const conversation = await this.adapter.store.get(conversationId);
    if (!conversation)
      throw new DirectLineError('NotFound', `Conversation "${conversationId}" does not exist`);
    return conversation;
  }

  /**
   * `POST /conversations`: a token's own conversation (created on first use), or a new one. Only the
   * secret holder may choose the user id (a site's signed-in customer); browsers get an anonymous id.
   */
  async start(caller: Caller, body: unknown): Promise<{ grant: ConversationGrant; created: boolean }> {
    if (caller.kind === 'token') {
      const existing = await this.adapter.store.get(caller.claims.conversationId);
      if (existing) return { grant: await this.grant(existing), created: false };
      const conversation = await this.create(caller.claims.conversationId, caller.claims, localeOf(body));
      return { grant: await this.grant(conversation), created: true };
    }
    const user = caller.kind === 'secret' ? requestedUser(body) : undefined;
    const conversation = await this.create(newId(), user, localeOf(body));
    return { grant: await this.grant(conversation), created: true };
  }

  /** `POST /tokens/generate`: a token for a new conversation, for a site's server to hand to a browser. */
  async generateToken(caller: Caller, body: unknown): Promise<ConversationGrant> {
    if (caller.kind === 'token') throw new DirectLineError('Forbidden', 'Generating tokens needs the secret');
    const user = caller.kind === 'secret' ? requestedUser(body) : undefined;
    const conversation = await this.create(newId(), user, localeOf(body));
    return this.grant(conversation);
  }

  /**
   * A token for a new conversation of a visitor the site itself vouches for (the demo page's signed
   * cookie): a returning browser keeps its identity key across visits.
   */
  async grantForVisitor(
    visitorId: string | undefined,
    locale: string | undefined,
  ): Promise<ConversationGrant> {
    const user = visitorId ? { userId: visitorId } : undefined;
    return this.grant(await this.create(newId(), user, localeOf({ locale })));
  }

  /** `POST /tokens/refresh`: the same conversation and user, 30 more minutes. */
  async refreshToken(caller: Caller): Promise<ConversationGrant> {
    if (caller.kind !== 'token')
      throw new DirectLineError('Forbidden', 'Refreshing needs a token, not a secret');
    return this.grant(await this.conversationFor(caller, caller.claims.conversationId));
  }

  /** A fresh grant for a conversation (used by reconnect as well). */
  async grant(conversation: ConversationRecord): Promise<ConversationGrant> {
    const expiresAt = this.clock.now() + TOKEN_LIFETIME_MS;
    const token = signToken(
      {
        conversationId: conversation.id,
        userId: conversation.userId,
        userName: conversation.userName,
        expiresAt,
      },
      await this.adapter.store.signingKey(),
    );
    return { conversationId: conversation.id, token, expires_in: TOKEN_LIFETIME_MS / 1000 };
  }

  /**
   * `POST /conversations/{id}/activities`: the activity is logged and echoed to every client of the
   * conversation and durably queued for its turn — only then is the post acknowledged. The turn runs
   * right away in this process and the answer waits for it (as Azure waits for the bot), up to
   * `turnWaitMs`; a turn that fails or takes longer stays queued and is retried, and its replies reach
   * the client over the stream or the next poll. A client that retries a post with the same
   * `channelData.clientActivityID` (as Web Chat sends) gets the first post's id; nothing is doubled.
   */
  async post(conversation: ConversationRecord, body: unknown): Promise<string> {
    const { echo, turn } = inboundActivity(body, conversation, new Date(this.clock.now()));
    const clientId = clientActivityId(body);
    const partition = webChatPartition(conversation.id);
    // Echoed, queued and the conversation taken in one step; the turn runs right away, here.
    // The queue handles the post's failure (`queued` rejects with it); no promise is derived from it
    // here before that, so a failed post is never an unhandled rejection.
    let posted: Promise<Posted> | undefined;
    const { queued, done } = this.queue.submitWith(partition, (holder) => {
      posted = this.adapter.store.post(
        conversation.id,
        echo,
        clientId === undefined ? undefined : `post:${clientId}`,
        turn,
        { backend: this.inbound, partition, holder },
      );
      return posted;
    });
    const ran = this.turnsRun(partition, done);
    await queued;
    const id = (await posted)?.id ?? '';
    await ran;
    return id;
  }

  /** Waits for a conversation's queued turns at most `turnWaitMs`; never rejects. */
  private async turnsRun(partition: string, done: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.turnWaitMs);
    });
    const ran = done.catch((error: unknown) => {
      // The activity is queued: a wake-up retries it.
      this.logger.warn({ err: error, partition }, 'queued web chat turn failed; it will run again');
    });
    await Promise.race([ran, waited]);
    clearTimeout(timer);
  }

  /** `GET /conversations/{id}/activities?watermark=`. */
  since(conversation: ConversationRecord, watermark: string | undefined): Promise<ActivitySet> {
    return this.adapter.store.since(conversation.id, parseWatermark(watermark));
  }

  private async create(
    id: string,
    user: { userId: string; userName?: string | undefined } | undefined,
    locale: string | undefined,
  ): Promise<ConversationRecord> {
    const conversation: ConversationRecord = {
      id,
      userId: user?.userId ?? `anon-${randomBytes(9).toString('base64url')}`,
      userName: user?.userName,
      locale,
      createdAt: this.clock.now(),
    };
    await this.adapter.store.create(conversation);
    // The bot greets from a conversationUpdate, as on Azure, queued first so it comes before any message.
    const partition = webChatPartition(id);
    const { queued, done } = this.queue.submit(partition, `${id}|start`, {
      type: 'conversationUpdate',
      id: `${id}|start`,
      channelId: WEBCHAT_CHANNEL_ID,
      conversation: { id } as Activity['conversation'],
      from: { id: identityKey('webchat', conversation.userId), name: conversation.userName ?? '' },
      recipient: { id: 'relevo', name: 'Relevo', role: 'bot' },
      membersAdded: [
        { id: 'relevo', name: 'Relevo' },
        { id: identityKey('webchat', conversation.userId), name: conversation.userName ?? '' },
      ],
      locale,
      timestamp: new Date(this.clock.now()),
      serviceUrl: 'urn:relevo:webchat',
    });
    void this.turnsRun(partition, done);
    await queued;
    return conversation;
  }
}

/** A watermark query value: absent or empty means "from the start". */
export function parseWatermark(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const watermark = Number(value);
  if (!Number.isSafeInteger(watermark) || watermark < 0) {
    throw new DirectLineError('BadArgument', '"watermark" must be a non-negative integer');
  }
  return watermark;
}

/** Web Chat's own id of a posted activity (`channelData.clientActivityID`), the key of a retried post. */
function clientActivityId(body: unknown): string | undefined {
  const id = (body as { channelData?: { clientActivityID?: unknown } }).channelData?.clientActivityID;
  return typeof id === 'string' && id.length > 0 && id.length <= 100 ? id : undefined;
}

function newId(): string {
  return randomBytes(12).toString('base64url');
}

function requestedUser(body: unknown): { userId: string; userName?: string | undefined } | undefined {
  const user = (body as { user?: { id?: unknown; name?: unknown } } | undefined)?.user;
  if (user?.id === undefined) return undefined;
  if (typeof user.id !== 'string' || !USER_ID.test(user.id)) {
    throw new DirectLineError('BadArgument', '"user.id" must be 1–64 letters, digits or . _ @ : -');
  }
  return { userId: user.id, userName: typeof user.name === 'string' ? user.name.slice(0, 100) : undefined };
}

function localeOf(body: unknown): string | undefined {
  const locale = (body as { locale?: unknown } | undefined)?.locale;
  return typeof locale === 'string' && /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/.test(locale)
    ? locale
    : undefined;
}
