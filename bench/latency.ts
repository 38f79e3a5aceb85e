/**
 * `tsx bench/latency.ts [--peak N] [--seconds S]`: p50/p99 latency of a web chat message through the
 * full Relevo server at 70 % of its peak throughput. The peak is measured right before, on the same
 * server, with autocannon over the same conversations (on a shared machine, a peak from a minute ago
 * can be one the machine no longer has); `--peak` overrides it. Messages are sent open-loop at a fixed rate over 200 warm
 * conversations and timed from when each was due, from the POST to its answer, which Direct Line sends
 * once the turn has run and its replies are in the log. The last line is one JSON object.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedisServer } from '../test/support/redis-server.js';
import { startBenchServer } from './support/bench-server.js';
import { messageBody, openConversations, RETAIL_MESSAGES } from './support/directline.js';
import { closedLoop, openLoop } from './support/load.js';
import { directLineRequests } from './throughput.js';
import { flag } from './support/flags.js';

const SHARE_OF_PEAK = 0.7;
const CONVERSATIONS = 200;
/** As in bench/throughput.ts. */
const PEAK_CONVERSATIONS = 64;
const SECONDS = flag('--seconds', 15);

const redis = await startRedisServer();
const server = await startBenchServer('relevo', { REDIS_URL: redis.url });
try {
  const url = `http://127.0.0.1:${server.port}`;
  const grants = await openConversations(url, CONVERSATIONS);
  const conversations = grants.map(directLineRequests);
  // Warm-up: every conversation past its first messages, which cost more (the member, its first points).
  const run = (durationS: number, count: number) =>
    closedLoop({ url, conversations: conversations.slice(0, count), durationS, maxRequests: 100_000 });
  // Each closed loop leaves turns in flight: let them finish, so no run starts behind a queue.
  const warm = await run(5, CONVERSATIONS);
  process.stdout.write(`warm-up: ${warm.messagesPerSecond} msg/s over ${CONVERSATIONS} conversations\n`);
  await sleep(3_000);
  // The peak: the best of three 4 s runs with 64 conversations, as in bench/throughput.ts.
  let peak = flag('--peak', 0);
  for (let round = 0; round < 3 && !flag('--peak', 0); round += 1) {
    peak = Math.max(peak, (await run(4, PEAK_CONVERSATIONS)).messagesPerSecond);
    await sleep(2_000);
  }
  const rate = Math.max(1, Math.round(peak * SHARE_OF_PEAK));
  const sent = new Array<number>(CONVERSATIONS).fill(0);
  const messageFor = (i: number) => {
    const c = i % CONVERSATIONS;
    const grant = grants[c];
    if (!grant) throw new Error('no conversation');
    const text = RETAIL_MESSAGES[(sent[c] ?? 0) % RETAIL_MESSAGES.length] ?? 'hi';
    sent[c] = (sent[c] ?? 0) + 1;
    return {
      path: `/v3/directline/conversations/${grant.conversationId}/activities`,
      headers: { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(messageBody(text)),
    };
  };
  // For scale: the same messages at 10 % of peak, where almost nothing queues.
  const light = await openLoop({
    port: server.port,
    ratePerSecond: Math.max(1, Math.round(peak * 0.1)),
    durationS: 5,
    messageFor,
  });
  const result = await openLoop({ port: server.port, ratePerSecond: rate, durationS: SECONDS, messageFor });
  process.stdout.write(
    `latency at ${Math.round(SHARE_OF_PEAK * 100)} % of peak (${peak} msg/s): ${rate} msg/s for ${SECONDS} s, open loop over ${CONVERSATIONS} conversations\n` +
      `  achieved ${result.achievedPerSecond} msg/s, failed ${result.failed} ${JSON.stringify(result.failures)}` +
      (result.achievedPerSecond < rate * 0.9
        ? ' (OVERLOADED: the machine got busier than when the peak was measured)'
        : '') +
      '\n' +
      `  p50 ${result.p50Ms} ms   p90 ${result.p90Ms} ms   p99 ${result.p99Ms} ms (goal < 50)   max ${result.maxMs} ms\n` +
      `  for scale, at 10 % of peak: p50 ${light.p50Ms} ms   p99 ${light.p99Ms} ms\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      peakMessagesPerSecond: peak,
      ratePerSecond: rate,
      achievedPerSecond: result.achievedPerSecond,
      p50Ms: result.p50Ms,
      p90Ms: result.p90Ms,
      p99Ms: result.p99Ms,
      maxMs: result.maxMs,
      failed: result.failed,
      lightLoadP50Ms: light.p50Ms,
      lightLoadP99Ms: light.p99Ms,
      seconds: SECONDS,
    })}\n`,
  );
  if (result.failed + light.failed > 0) process.exitCode = 1;
} finally {
  await server.stop();
  await redis.stop();
}
