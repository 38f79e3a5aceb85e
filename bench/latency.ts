/**
 * `tsx bench/latency.ts [--peak N] [--seconds S]`: p50/p99 latency of a web chat message through the
 * full Relevo server at 70 % of its peak throughput. The peak is the server's sustained capacity under
 * the load the latency run puts on it: a closed loop over the same 200 conversations, long enough
 * (10 s) that a burst does not count as capacity, measured right before on the same server (on a
 * shared machine, a peak from a minute ago can be one the machine no longer has); `--peak` overrides
 * it. Messages are then sent open-loop at a fixed rate over the 200 warm conversations and timed from
 * when each was due, from the POST to its answer, which Direct Line sends once the turn has run and
 * its replies are in the log. Beside the percentiles, where the time of the 70 % run went: the
 * server's own time per request, its GC pauses and event-loop delay (bench/support/observe.ts), how
 * late the load generator itself sent, and whether the slowest messages waited for their own
 * conversation's previous turn. The last line is one JSON object.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedisServer } from '../test/support/redis-server.js';
import { assertBuilt, startBenchServer } from './support/bench-server.js';
import { messageBody, openConversations, RETAIL_MESSAGES } from './support/directline.js';
import { closedLoop, openLoop } from './support/load.js';
import { directLineRequests } from './throughput.js';
import { flag } from './support/flags.js';
import { describeStall, watchStalls } from './support/stalls.js';

const SHARE_OF_PEAK = 0.7;
const CONVERSATIONS = 200;
const PEAK_SECONDS = 10;
const SECONDS = flag('--seconds', 15);

assertBuilt();
const redis = await startRedisServer();
const server = await startBenchServer('relevo', { REDIS_URL: redis.url });
try {
  const url = `http://127.0.0.1:${server.port}`;
  const grants = await openConversations(url, CONVERSATIONS);
  const conversations = grants.map(directLineRequests);
  // Warm-up: every conversation past its first messages, which cost more (the member, its first points).
  const run = (durationS: number) => closedLoop({ url, conversations, durationS, maxRequests: 1_000_000 });
  // Each closed loop leaves turns in flight: let them finish, so no run starts behind a queue.
  const warm = await run(5);
  process.stdout.write(`warm-up: ${warm.messagesPerSecond} msg/s over ${CONVERSATIONS} conversations\n`);
  await sleep(3_000);
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
  // The peak: what the server sustains under the latency run's own load. A closed loop over the 200
  // conversations for 10 s gives a rate to offer; offered open-loop for 10 s, the server answers what
  // it sustains (it answers less when open-loop load costs it more, e.g. turns waiting on their
  // conversation's lock), and the lower of the two is the peak.
  let closedLoopPeak = 0;
  let peak = flag('--peak', 0);
  if (!peak) {
    closedLoopPeak = (await run(PEAK_SECONDS)).messagesPerSecond;
    await sleep(2_000);
    const offered = await openLoop({
      port: server.port,
      ratePerSecond: closedLoopPeak,
      durationS: PEAK_SECONDS,
      messageFor,
    });
    peak = Math.min(closedLoopPeak, offered.achievedPerSecond);
    process.stdout.write(
      `peak: closed loop ${closedLoopPeak} msg/s, offered open-loop ${offered.achievedPerSecond} msg/s answered\n`,
    );
    await sleep(3_000);
  }
  const rate = Math.max(1, Math.round(peak * SHARE_OF_PEAK));
  // For scale: the same messages at 10 % of peak, where almost nothing queues.
  const light = await openLoop({
    port: server.port,
    ratePerSecond: Math.max(1, Math.round(peak * 0.1)),
    durationS: 5,
    messageFor,
  });
  const watch = await watchStalls({ server: server.pid, redis: redis.pid }, redis.url);
  server.observe();
  const result = await openLoop({ port: server.port, ratePerSecond: rate, durationS: SECONDS, messageFor });
  const observed = await server.observed();
  const { stalls, whole } = await watch.explain(result.stretches, observed.gcPauses);
  process.stdout.write(
    `latency at ${Math.round(SHARE_OF_PEAK * 100)} % of peak (${peak} msg/s sustained over ${CONVERSATIONS} conversations): ${rate} msg/s for ${SECONDS} s, open loop over ${CONVERSATIONS} conversations\n` +
      `  achieved ${result.achievedPerSecond} msg/s, failed ${result.failed} ${JSON.stringify(result.failures)}` +
      (result.achievedPerSecond < rate * 0.9
        ? ' (OVERLOADED: the machine got busier than when the peak was measured)'
        : '') +
      '\n' +
      `  p50 ${result.p50Ms} ms   p90 ${result.p90Ms} ms   p99 ${result.p99Ms} ms (goal < 50)   max ${result.maxMs} ms\n` +
      `  for scale, at 10 % of peak: p50 ${light.p50Ms} ms   p99 ${light.p99Ms} ms\n` +
      `where the time of the ${Math.round(SHARE_OF_PEAK * 100)} % run went:\n` +
      `  inside the server (request read -> answer written): p50 ${observed.serverP50Ms} ms   p99 ${observed.serverP99Ms} ms over ${observed.requests} requests\n` +
      `  server GC pauses: ${observed.minorGc.count} scavenges ${observed.minorGc.totalMs} ms in all (longest ${observed.minorGc.maxMs} ms), ${observed.majorGc.count} mark-compacts ${observed.majorGc.totalMs} ms (longest ${observed.majorGc.maxMs} ms): ${(observed.gcShare * 100).toFixed(1)} % of the wall time\n` +
      `  server event loop late by: p99 ${observed.loopDelayP99Ms} ms   max ${observed.loopDelayMaxMs} ms\n` +
      `  load generator: sent p99 ${result.sendLagP99Ms} ms after due, its own event loop late by at most ${result.clientLoopDelayMaxMs} ms\n` +
      `  slowest 1 %: ${Math.round(result.slowBehindOwnConversation * 100)} % were due while their conversation's previous message was unanswered; they were due in ${result.slowStretches} separate stretch(es)\n` +
      `  the whole run: server ran ${whole.serverOnCpuMs} ms and waited for a core ${whole.serverWaitingForCpuMs} ms, its other threads (GC helpers, compiler) ran ${whole.serverThreadsOnCpuMs} ms and waited ${whole.serverThreadsWaitingForCpuMs} ms, Redis ran ${whole.redisOnCpuMs} ms and waited ${whole.redisWaitingForCpuMs} ms, the load generator ran ${whole.generatorOnCpuMs} ms and waited ${whole.generatorWaitingForCpuMs} ms, slowest Redis PING ${whole.redisPingMaxMs} ms\n` +
      stalls.map(describeStall).join(''),
  );
  process.stdout.write(
    `${JSON.stringify({
      peakMessagesPerSecond: peak,
      closedLoopPeakPerSecond: closedLoopPeak,
      ratePerSecond: rate,
      achievedPerSecond: result.achievedPerSecond,
      p50Ms: result.p50Ms,
      p90Ms: result.p90Ms,
      p99Ms: result.p99Ms,
      maxMs: result.maxMs,
      failed: result.failed,
      lightLoadP50Ms: light.p50Ms,
      lightLoadP99Ms: light.p99Ms,
      serverP50Ms: observed.serverP50Ms,
      serverP99Ms: observed.serverP99Ms,
      serverGcShare: observed.gcShare,
      serverScavenges: observed.minorGc.count,
      serverScavengeMaxMs: observed.minorGc.maxMs,
      serverMarkCompacts: observed.majorGc.count,
      serverMarkCompactMaxMs: observed.majorGc.maxMs,
      serverLoopDelayP99Ms: observed.loopDelayP99Ms,
      serverLoopDelayMaxMs: observed.loopDelayMaxMs,
      clientSendLagP99Ms: result.sendLagP99Ms,
      clientLoopDelayMaxMs: result.clientLoopDelayMaxMs,
      slowBehindOwnConversation: result.slowBehindOwnConversation,
      slowStretches: result.slowStretches,
      serverWaitingForCpuMs: whole.serverWaitingForCpuMs,
      serverThreadsOnCpuMs: whole.serverThreadsOnCpuMs,
      redisWaitingForCpuMs: whole.redisWaitingForCpuMs,
      redisPingMaxMs: whole.redisPingMaxMs,
      stalls,
      seconds: SECONDS,
    })}\n`,
  );
  if (result.failed + light.failed > 0) process.exitCode = 1;
} finally {
  await server.stop();
  await redis.stop();
}
