import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Server } from 'restify';

/** Claims an HTTP upgrade (returns true) or leaves it to the next handler (false). */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

const handlers = new WeakMap<Server, UpgradeHandler[]>();

/**
 * Registers a WebSocket upgrade handler on the restify server. Several features (Direct Line streams,
 * the agent console) share one server; an upgrade nobody claims is refused with 404 instead of hanging.
 */
export function onUpgrade(server: Server, handler: UpgradeHandler): void {
  let list = handlers.get(server);
  if (!list) {
    const registered: UpgradeHandler[] = [];
    list = registered;
    handlers.set(server, registered);
    server.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (registered.some((each) => each(req, socket, head))) return;
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    });
  }
  list.push(handler);
}
