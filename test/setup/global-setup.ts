import type { TestProject } from 'vitest/node';
import { NluRecognizer } from '../../nlu-models/index.js';
import { type RedisClusterServers, startRedisCluster } from '../support/redis-cluster.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the private redis-server every Redis-backed test shares (each under its own key prefix). */
    redisUrl: string;
    /** Seed URLs of the private 3-master Redis Cluster the contract suites also run against. */
    redisClusterUrls: string[];
  }
}

let redis: RedisServer | undefined;
let cluster: RedisClusterServers | undefined;

/** Starts the real servers the suite talks to, once for the whole run, on free loopback ports. */
export async function setup(project: TestProject): Promise<void> {
  // Train (or load) the retail NLU model once, into the on-disk cache every test process and every
  // spawned server then loads in well under a second, instead of each training it at once.
  // The cluster's ~2 s (mostly redis-cli waiting for the nodes to agree) overlaps the model load.
  const [server, nodes] = await Promise.all([
    startRedisServer(),
    startRedisCluster(),
    NluRecognizer.create({}),
  ]);
  redis = server;
  cluster = nodes;
  project.provide('redisUrl', redis.url);
  project.provide('redisClusterUrls', cluster.urls);
}

export async function teardown(): Promise<void> {
  await Promise.all([redis?.stop(), cluster?.stop()]);
}
