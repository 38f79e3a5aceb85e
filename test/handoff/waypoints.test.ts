import { afterEach, describe, expect, inject, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { createHandoffWaypoints } from '../../handoff/create-handoffs.js';
import { handoffMessages } from '../../handoff/messages.js';
import { HandoffWaypoints } from '../../handoff/waypoints.js';
import { RedisDurableTimers } from '../../identity/journey/durable-timers.js';
import { connectRedis } from '../../storage/redis-connection.js';
import { openDirectLine } from '../support/directline-client.js';
import { type HandoffServer, startHandoffServer, TEST_API_TOKEN } from '../support/handoff-server.js';
import { useRedis } from '../support/redis-fixture.js';

const redis = useRedis();
let server: HandoffServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A clock the test moves by hand. */
function manualClock(start = Date.now()) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

async function angryCustomer(target: HandoffServer) {
  const customer = openDirectLine({ domain: target.domain, webSocket: true });
  await customer.say('this is awful');
  await customer.waitFor((a) => a.type === 'message' && a.text === handoffMessages.en.joining);
  return customer;
}

describe('handoff waypoints', () => {
  it('offers an answer by email when no agent is online, and a callback after a long wait', async () => {
    const clock = manualClock();
    server = await startHandoffServer({ clock });
    const customer = await angryCustomer(server);
    try {
      expect(await server.waypoints.tick()).toBe(0);
      clock.advance(5_000);
      expect(await server.waypoints.tick()).toBe(1);
      await customer.waitFor((a) => a.type === 'message' && a.text === handoffMessages.en.noAgentOnline);
      clock.advance(55_000);
      expect(await server.waypoints.tick()).toBe(1);
      await customer.waitFor((a) => a.type === 'message' && a.text === handoffMessages.en.waitingLong);
      const [pending] = await server.handoffs.list('pending');
      expect(pending?.notes.map((note) => note.text)).toEqual([
        'No agent online: offered an answer by email',
        'Waited over 60 s: offered a callback or email',
      ]);
    } finally {
      customer.end();
    }
  });

  it('stays quiet when an agent is online and once the conversation was taken', async () => {
    const clock = manualClock();
    server = await startHandoffServer({ clock });
    const presence = await fetch(`${server.base}/api/agent/presence`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'x-relevo-agent': 'ana' },
    });
    expect(presence.status).toBe(200);
    const customer = await angryCustomer(server);
    try {
      clock.advance(5_000);
      expect(await server.waypoints.tick()).toBe(1);
      const [pending] = await server.handoffs.list('pending');
      await fetch(`${server.base}/api/handoffs/${pending?.id}/accept`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'x-relevo-agent': 'ana' },
      });
      clock.advance(60_000);
      expect(await server.waypoints.tick()).toBe(1);
      const texts = customer.received.map((a) => (a.type === 'message' ? a.text : undefined));
      expect(texts).not.toContain(handoffMessages.en.noAgentOnline);
      expect(texts).not.toContain(handoffMessages.en.waitingLong);
    } finally {
      customer.end();
    }
  });

  it('fires each waypoint once across processes polling one Redis, even in a poller that did not schedule it', async () => {
    const clock = manualClock();
    server = await startHandoffServer({ clock, redisUrl: inject('redisUrl'), prefix: `${redis.prefix}-wp` });
    const customer = await angryCustomer(server);
    try {
      // A second process's poller (new instance, same Redis): the timers were scheduled by the first.
      const other = createHandoffWaypoints({ handoffs: server.handoffs, stores: server.stores, clock });
      clock.advance(60_000);
      const fired = await Promise.all([server.waypoints.tick(), other.tick(), other.tick()]);
      expect(fired.reduce((a, b) => a + b, 0)).toBe(2);
      await customer.waitFor((a) => a.type === 'message' && a.text === handoffMessages.en.waitingLong);
      const count = (text: string) =>
        customer.received.filter((a) => a.type === 'message' && a.text === text).length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(count(handoffMessages.en.waitingLong)).toBe(1);
      expect(count(handoffMessages.en.noAgentOnline)).toBe(1);
    } finally {
      customer.end();
    }
  });
});

describe('handoff waypoints polling a store that fails', () => {
  it('logs each failed poll, keeps polling and does not take the process down', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const warnings: string[] = [];
    const logger = {
      ...silentLogger,
      warn: (_: object | string, msg?: string) => void warnings.push(msg ?? ''),
    };
    server = await startHandoffServer();
    const connection = await connectRedis({ url: inject('redisUrl') });
    const timers = new RedisDurableTimers(connection, { prefix: `${redis.prefix}-broken`, name: 'handoff' });
    const waypoints = new HandoffWaypoints({ handoffs: server.handoffs, timers, pollIntervalMs: 10, logger });
    try {
      // Redis goes away under the poller: every claim from now on rejects.
      connection.destroy();
      waypoints.start();
      await expect.poll(() => warnings.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
      await waypoints.stop();
      await new Promise((resolve) => setImmediate(resolve));
      expect(new Set(warnings)).toEqual(new Set(['could not poll the handoff waypoint timers']));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await waypoints.stop();
    }
  });
});
