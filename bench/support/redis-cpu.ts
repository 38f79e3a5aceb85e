import type { RedisConnection } from '../../storage/redis-connection.js';

/** CPU time (user + system, ms) a Redis server has used since it started, from `INFO cpu`. */
export async function redisCpuMs(client: RedisConnection): Promise<number> {
  const text = await client.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(text)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000;
}
