import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../core/logger.js';
import type { PubSub } from '../../storage/types.js';
import { type ConversationStore, type Delivery, deliveryChannel } from './conversation-store.js';
import { parseWatermark } from './direct-line.js';
import type { DirectLineService } from './direct-line.js';
import { DirectLineError } from './errors.js';

const STREAM_PATH = /^\/v3\/directline\/conversations\/([^/?]+)\/stream$/;
/** Server pings find sockets whose browser vanished without a close (sleeping laptops, lost Wi-Fi). */
const PING_INTERVAL_MS = 30_000;

/**
 * The Direct Line WebSocket stream (`streamUrl`): pushes `{activities, watermark}` sets to the browser.
 * Each socket keeps its own watermark; a pub/sub delivery that follows it on directly is sent as is,
 * anything else (a gap after a missed message) is read from the log, so no activity is lost or repeated.
 */
export class DirectLineStreams {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly subscriptions = new Map<
    string,
    { sockets: Set<Stream>; unsubscribe: Promise<() => Promise<void>> }
  >();
  private readonly pinger: NodeJS.Timeout;

  constructor(
    private readonly service: DirectLineService,
    private readonly store: ConversationStore,
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
  ) {
    this.pinger = setInterval(() => this.ping(), PING_INTERVAL_MS);
    this.pinger.unref();
  }

  /** Handles an HTTP upgrade if it is for a Direct Line stream; returns false to let others try. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = STREAM_PATH.exec(url.pathname);
    if (!match) return false;
    const conversationId = decodeURIComponent(match[1] ?? '');
    const token = url.searchParams.get('t');
    const authorization = token ? `Bearer ${token}` : req.headers.authorization;
    this.service
      .authenticate(authorization)
      .then((caller) => this.service.conversationFor(caller, conversationId))
      .then((conversation) => {
        const watermark = parseWatermark(url.searchParams.get('watermark') ?? undefined);
        this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, conversation.id, watermark));
      })
      .catch((error: unknown) => {
        const status = error instanceof DirectLineError ? error.statusCode : 500;
        socket.end(
          `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Forbidden'}\r\nConnection: close\r\n\r\n`,
        );
      });
    return true;
  }

  /** Closes every socket (at shutdown; clients reconnect to another process). */
  async close(): Promise<void> {
    clearInterval(this.pinger);
    for (const ws of this.wss.clients) ws.close(1001, 'server shutting down');
    const pending = [...this.subscriptions.values()].map(async ({ unsubscribe }) => (await unsubscribe)());
    this.subscriptions.clear();
    await Promise.allSettled(pending);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private open(ws: WebSocket, conversationId: string, watermark: number): void {
    const stream = new Stream(ws, conversationId, watermark, this.store, this.logger);
    let entry = this.subscriptions.get(conversationId);
    if (!entry) {
      const sockets = new Set<Stream>();
      const unsubscribe = this.pubsub.subscribe(deliveryChannel(conversationId), (message) => {
        const delivery = JSON.parse(message) as Delivery;
        for (const each of sockets) each.push(delivery);
      });
      entry = { sockets, unsubscribe };
      this.subscriptions.set(conversationId, entry);
    }
    entry.sockets.add(stream);
    const subscribed = entry.unsubscribe;
    // Catch up only once subscribed, so nothing published in between is missed.
    subscribed.then(
      () => stream.catchUp(),
      (error: unknown) => {
        // Only at shutdown or with Redis gone: the client reconnects and catches up from its watermark.
        this.logger.debug({ err: error, conversationId }, 'web chat stream could not subscribe');
        ws.close(1011, 'stream unavailable');
      },
    );
    ws.on('close', () => {
      const current = this.subscriptions.get(conversationId);
      if (!current?.sockets.delete(stream) || current.sockets.size > 0) return;
      this.subscriptions.delete(conversationId);
      current.unsubscribe
        .then((unsubscribe) => unsubscribe())
        .catch((error: unknown) =>
          this.logger.debug({ err: error, conversationId }, 'web chat unsubscribe failed'),
        );
    });
    ws.on('error', (error) => this.logger.debug({ err: error, conversationId }, 'web chat socket error'));
    // Clients send "" as a keep-alive; nothing else is expected from them on the stream.
    ws.on('pong', () => stream.markAlive());
  }

  private ping(): void {
    for (const entry of this.subscriptions.values()) for (const stream of entry.sockets) stream.ping();
  }
}

/** One browser socket and its own watermark; sends are serialised so sets leave in order. */
class Stream {
  private chain: Promise<void> = Promise.resolve();
  private alive = true;

  constructor(
    private readonly ws: WebSocket,
    private readonly conversationId: string,
    private watermark: number,
    private readonly store: ConversationStore,
    private readonly logger: Logger,
  ) {}

  catchUp(): void {
    this.enqueue(async () => this.readFromLog());
  }

  push(delivery: Delivery): void {
    this.enqueue(async () => {
      if (delivery.watermark <= this.watermark) return;
      if (delivery.after === this.watermark) this.send(delivery.activities, delivery.watermark);
      else await this.readFromLog();
    });
  }

  markAlive(): void {
    this.alive = true;
  }

  ping(): void {
    if (!this.alive) {
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  private async readFromLog(): Promise<void> {
    for (;;) {
      const set = await this.store.since(this.conversationId, this.watermark);
      if (set.activities.length === 0) return;
      this.send(set.activities, set.watermark);
    }
  }

  private send(activities: unknown[], watermark: number): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify({ activities, watermark: String(watermark) }));
    this.watermark = watermark;
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error: unknown) => {
      this.logger.warn(
        { err: error, conversationId: this.conversationId },
        'web chat stream delivery failed',
      );
    });
  }
}
