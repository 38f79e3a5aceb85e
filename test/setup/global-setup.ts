import type { TestProject } from 'vitest/node';
import { NluRecognizer } from '../../nlu-models/index.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the private redis-server every Redis-backed test shares (each under its own key prefix). */
    redisUrl: string;
  }
}

let redis: RedisServer | undefined;

/** Starts the real servers the suite talks to, once for the whole run, on free loopback ports. */
export async function setup(project: TestProject): Promise<void> {
  // Train (or load) the retail NLU model once, into the on-disk cache every test process and every
  // spawned server then loads in well under a second, instead of each training it at once.
  const [server] = await Promise.all([startRedisServer(), NluRecognizer.create({})]);
  redis = server;
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}
