import type { AddressInfo } from 'node:net';
import { createHttpServer } from '../../bots/http-server.js';
import type { Channel } from '../../core/channel.js';
import type { InFlightWork } from '../../core/in-flight.js';
import type { Logger } from '../../core/logger.js';
import type { Stores } from '../../storage/stores.js';

/**
 * Mounts `channel` on an HTTP server of its own on a free loopback port and starts it. `close` stops
 * the channel, lets its turns in flight finish, then closes the server and `stores`.
 */
export async function serveChannel(
  channel: Channel,
  parts: { logger: Logger; inFlight: InFlightWork; stores: Stores },
): Promise<{ base: string; close: () => Promise<void> }> {
  const server = createHttpServer(parts.logger);
  channel.mount(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await channel.start();
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await channel.close();
      await parts.inFlight.drain(5_000);
      server.server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await parts.stores.close();
    },
  };
}
