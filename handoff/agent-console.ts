import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request, Response, Server } from 'restify';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { onUpgrade } from '../core/upgrade.js';
import type { AgentDesk } from './agent-desk.js';
import { CONSOLE_CSS, CONSOLE_HTML, CONSOLE_JS } from './console-page.js';
import type { DeskPrincipal } from './desk-auth.js';
import type { HandoffEvent } from './handoff-events.js';

/** Path of the console's WebSocket: handoff events pushed to logged-in agents. */
export const CONSOLE_STREAM_PATH = '/api/agent/stream';

// The console is same-origin only: no framing (clickjacking), no foreign scripts, no inline script.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * The agent console at `/agent` and its WebSocket at {@link CONSOLE_STREAM_PATH}: every process pushes
 * every handoff event (from pub/sub, so an event raised on another process arrives too) to the
 * consoles connected to it. A socket must come from the same origin (no cross-site WebSocket
 * hijacking) and carry a valid session cookie. Call `close()` on shutdown.
 */
export class AgentConsole {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Map<WebSocket, DeskPrincipal>();
  private unsubscribe: (() => Promise<void>) | undefined;
  private subscribing: Promise<void> | undefined;

  constructor(
    private readonly desk: AgentDesk,
    private readonly logger: Logger = silentLogger,
  ) {}

  mount(server: Server): void {
    const page = (type: string, body: string) => async (_req: Request, res: Response) => {
      res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, ...SECURITY_HEADERS });
      res.end(body);
    };
    server.get('/agent', page('text/html', CONSOLE_HTML));
    server.get('/agent/console.js', page('text/javascript', CONSOLE_JS));
    server.get('/agent/console.css', page('text/css', CONSOLE_CSS));
    onUpgrade(server, (req, socket, head) => this.handleUpgrade(req, socket, head));
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (new URL(req.url ?? '/', 'http://x').pathname !== CONSOLE_STREAM_PATH) return false;
    void this.accept(req, socket, head);
    return true;
  }

  private async accept(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      const origin = req.headers.origin;
      if (origin && new URL(origin).host !== req.headers.host) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      const principal = await this.desk.authenticate({ method: 'GET', headers: req.headers });
      await this.ensureSubscribed();
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.set(ws, principal);
        ws.on('close', () => this.sockets.delete(ws));
        ws.on('error', () => this.sockets.delete(ws));
        void this.desk.heartbeat(principal).catch((error: unknown) => {
          this.logger.warn({ err: error }, 'could not record agent presence');
        });
      });
    } catch {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
    }
  }

  private ensureSubscribed(): Promise<void> {
    this.subscribing ??= this.desk.handoffs
      .subscribe((event) => this.broadcast(event))
      .then(
        (unsubscribe) => {
          this.unsubscribe = unsubscribe;
        },
        (error: unknown) => {
          // Try again on the next connection instead of refusing every agent until a restart.
          this.subscribing = undefined;
          throw error;
        },
      );
    return this.subscribing;
  }

  private broadcast(event: HandoffEvent): void {
    const data = JSON.stringify(event);
    for (const ws of this.sockets.keys()) {
      if (ws.readyState === ws.OPEN) ws.send(data);
    }
  }

  async close(): Promise<void> {
    for (const ws of this.sockets.keys()) ws.close(1001, 'server shutting down');
    this.sockets.clear();
    await this.unsubscribe?.();
    this.wss.close();
  }
}
