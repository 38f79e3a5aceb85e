/**
 * `tsx bench/ledger.ts [--ops N] [--concurrency C]`: ledger credits per second on a private
 * redis-server, against raw `INCRBY` on the same server in the same run (the floor of what a balance
 * counter costs). A ledger credit is three commands: the global key claim (`SET NX`), the member
 * index (`SADD`) and one Lua script (idempotency check, expiry, lot, entry, log). Prints a table and,
 * last, one JSON object of the figures.
 */
import { randomUUID } from 'node:crypto';
import { RedisLedger } from '../gamification/ledger/redis-ledger.js';
import { connectRedis } from '../storage/redis-connection.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { flag } from './support/flags.js';

const OPS = flag('--ops', 20_000);
const CONCURRENCY = flag('--concurrency', 64);

/** Runs `ops` calls of `task` with `CONCURRENCY` in flight; returns operations per second. */
async function measure(ops: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const startedAt = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ops) {
        const i = next;
        next += 1;
        await task(i);
      }
    }),
  );
  return Math.round(ops / (Number(process.hrtime.bigint() - startedAt) / 1e9));
}

const server = await startRedisServer();
const client = await connectRedis({ url: server.url });
try {
  const ledger = new RedisLedger(client, { prefix: `bench-${randomUUID().slice(0, 8)}` });
  // Warm up: script cache, connection, JIT.
  await measure(2_000, (i) => client.incrBy('bench:warm', i));
  await measure(2_000, (i) =>
    ledger.credit({ memberId: `w${i % 10}`, amount: 1, reason: 'warm', idempotencyKey: `w-${i}` }),
  );

  const incrbyPerSecond = await measure(OPS, (i) => client.incrBy(`bench:balance:${i % 1_000}`, 5));
  const ledgerCreditsPerSecond = await measure(OPS, (i) =>
    ledger.credit({ memberId: `m${i % 1_000}`, amount: 5, reason: 'bench', idempotencyKey: `c-${i}` }),
  );
  const ledgerCreditsOneMemberPerSecond = await measure(OPS, (i) =>
    ledger.credit({ memberId: 'hot', amount: 5, reason: 'bench', idempotencyKey: `h-${i}` }),
  );
  const replaysPerSecond = await measure(OPS, (i) =>
    ledger.credit({ memberId: `m${i % 1_000}`, amount: 5, reason: 'bench', idempotencyKey: `c-${i}` }),
  );
  const verification = await ledger.verify('hot');

  const rows: [string, number][] = [
    ['raw INCRBY (1,000 keys)', incrbyPerSecond],
    ['ledger credit (1,000 members)', ledgerCreditsPerSecond],
    ['ledger credit (one member)', ledgerCreditsOneMemberPerSecond],
    ['ledger replay of a used key', replaysPerSecond],
  ];
  process.stdout.write(`${OPS} operations each, ${CONCURRENCY} in flight, one client, Redis on loopback\n`);
  for (const [name, rate] of rows) {
    const ratio = (rate / incrbyPerSecond).toFixed(2);
    process.stdout.write(`${name.padEnd(32)} ${String(rate).padStart(8)} ops/s   ${ratio}× INCRBY\n`);
  }
  process.stdout.write(
    `one-member ledger verifies: ${verification.isConsistent} (${verification.entries} entries)\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      incrbyPerSecond,
      ledgerCreditsPerSecond,
      ledgerCreditsOneMemberPerSecond,
      replaysPerSecond,
      ratioToIncrby: Number((ledgerCreditsPerSecond / incrbyPerSecond).toFixed(3)),
      ops: OPS,
      concurrency: CONCURRENCY,
    })}\n`,
  );
} finally {
  await client.close();
  await server.stop();
}
