import { createConnection, createServer, type Socket } from 'node:net';
import { freePort } from '../../support/free-port.js';

/**
 * A TCP relay between the connector and Dovecot, so a test can read the IMAP commands on the wire
 * (how often IDLE is issued) and make the server "go away" (drop every connection and refuse new
 * ones) without stopping Dovecot.
 */
export interface TcpProxy {
  readonly port: number;
  /** Tagged IDLE commands the client sent (RFC 2177 `tag IDLE`). */
  readonly idleCommands: number;
  /** Connections accepted while down (each closed at once): the client's reconnection attempts. */
  readonly refusedAttempts: number;
  /** Drops every open connection and closes each new one at once, as a dead server would. */
  goDown(): void;
  goUp(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let isDown = false;
  let idleCommands = 0;
  let refusedAttempts = 0;
  const server = createServer((client) => {
    if (isDown) {
      refusedAttempts++;
      client.destroy();
      return;
    }
    const upstream = createConnection({ port: targetPort, host: '127.0.0.1' });
    sockets.add(client);
    sockets.add(upstream);
    let pending = '';
    client.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      const lines = pending.split('\r\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (/^\S+ IDLE$/i.test(line)) idleCommands++;
      if (pending.length > 4096) pending = '';
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    get idleCommands() {
      return idleCommands;
    },
    get refusedAttempts() {
      return refusedAttempts;
    },
    goDown() {
      isDown = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    goUp() {
      isDown = false;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
