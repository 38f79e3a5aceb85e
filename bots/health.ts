import type { ChannelHealth } from '../core/channel.js';
import type { HttpServer } from './http-server.js';

export interface HealthSources {
  storage: 'memory' | 'redis' | 'redis-cluster';
  ping(): Promise<boolean>;
  channels(): Record<string, ChannelHealth>;
}

/**
 * `GET /healthz`: `{status, storage, channels}`. Answers 503 with status `degraded` while the backing
 * store is unreachable, so a load balancer stops sending traffic to a process that cannot save turns.
 */
export function mountHealth(server: HttpServer, sources: HealthSources): void {
  server.get('/healthz', async (_req, res) => {
    const storageUp = await sources.ping();
    res.status(storageUp ? 200 : 503);
    res.json({
      status: storageUp ? 'ok' : 'degraded',
      storage: sources.storage,
      channels: sources.channels(),
    });
  });
}
