import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../bots/config.js';
import { createStores } from '../../storage/stores.js';

describe('choosing between one Redis and a Redis Cluster', () => {
  it('selects cluster mode from REDIS_CLUSTER_URLS, a comma-separated list of seed nodes', () => {
    const config = loadConfig({ REDIS_CLUSTER_URLS: 'redis://10.0.0.1:7000, rediss://10.0.0.2:7001,' });
    expect(config.REDIS_CLUSTER_URLS).toEqual(['redis://10.0.0.1:7000', 'rediss://10.0.0.2:7001']);
    expect(config.REDIS_URL).toBeUndefined();
  });

  it('refuses REDIS_URL and REDIS_CLUSTER_URLS together with a clear error naming the choice', () => {
    expect(() =>
      loadConfig({ REDIS_URL: 'redis://localhost:6379', REDIS_CLUSTER_URLS: 'redis://localhost:7000' }),
    ).toThrow(
      'Invalid configuration: REDIS_CLUSTER_URLS must be unset when REDIS_URL is set (REDIS_URL is one Redis server, REDIS_CLUSTER_URLS a Redis Cluster: choose one) (got "redis://localhost:7000")',
    );
  });

  it('refuses a cluster list with a URL that is not redis://, without echoing passwords', () => {
    expect(() =>
      loadConfig({ REDIS_CLUSTER_URLS: 'redis://:hunter2@localhost:7000,http://localhost:7001' }),
    ).toThrow(
      'Invalid configuration: REDIS_CLUSTER_URLS must be a URL like redis://host:7000 (got "redis://:***@localhost:7000,http://localhost:7001/")',
    );
    expect(() => loadConfig({ REDIS_CLUSTER_URLS: ' , ' })).toThrow(
      'REDIS_CLUSTER_URLS must be comma-separated URLs like redis://host:7000,redis://host:7001',
    );
  });

  it('refuses to build stores on both a Redis URL and cluster URLs', async () => {
    await expect(
      createStores({ redisUrl: 'redis://127.0.0.1:1', redisClusterUrls: ['redis://127.0.0.1:2'] }),
    ).rejects.toThrow('give either url (one Redis) or clusterUrls (Redis Cluster), not both');
  });
});
