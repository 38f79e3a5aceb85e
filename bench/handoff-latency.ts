/**
 * `tsx bench/handoff-latency.ts [--customers N] [--at-once K]`: how soon an angry web chat customer
 * reaches a human agent's console (goal: p99 < 1 s). The full Relevo server (bots/relevo.ts: the real
 * agent, NLU and handoff stack) on a private Redis; one agent logged in on the console's WebSocket
 * stream (bench/support/console-agent.ts does what the page does); N customers over Direct Line, each
 * with its conversation's stream open, K at a time, each sending a greeting (untimed: a conversation's
 * first message costs more, its member and first points), a friendly message and then an angry one. Timed from the angry message's POST to when the agent's stream delivers that conversation's
 * `handoff.requested`, and to when the refresh of the waiting list that the page makes on that event
 * first lists it. The baseline, measured on the same customers in the same run: from the friendly
 * message's POST to the bot's reply on the customer's own stream (the same Direct Line path and
 * pipeline, without the handoff and the console). Each handoff is resolved once measured, so the
 * queue stays as short as a staffed one. The last line is one JSON object.
 */
import { hashAgentPassword } from '../handoff/agent-accounts.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { assertBuilt, startBenchServer } from './support/bench-server.js';
import { ConsoleAgent } from './support/console-agent.js';
import { StreamingCustomer } from './support/directline.js';
import { flag } from './support/flags.js';

const CUSTOMERS = flag('--customers', 300);
const AT_ONCE = flag('--at-once', 4);
const WARM_UP_CUSTOMERS = 20;
const GOAL_P99_MS = 1_000;
const WAIT_MS = 30_000;
const GREETING = 'hello';
const FRIENDLY = 'where is my order ORD-100002';
const ANGRY = 'my package never arrived and nobody answers, this is terrible service';
const AGENT = { id: 'ana', name: 'Ana', role: 'supervisor', password: 'bench-agent-password' };

interface Timing {
  /** Friendly message: POST → the bot's reply on the customer's stream. */
  replyMs: number;
  /** Angry message: POST → `handoff.requested` on the agent's stream. */
  deliveredMs: number;
  /** Angry message: POST → listed by the console's refresh. */
  listedMs: number;
}

/** One customer's visit: open, a greeting, a friendly message, an angry one; the handoff resolved once measured. */
async function visit(base: string, agent: ConsoleAgent): Promise<Timing> {
  const customer = await StreamingCustomer.open(base);
  try {
    // The timed messages are both a warm conversation's, so the baseline is not a first message's.
    await customer.replyTo(await customer.say(GREETING), WAIT_MS);
    const friendlyAt = performance.now();
    const friendly = await customer.say(FRIENDLY);
    const replyMs = (await customer.replyTo(friendly, WAIT_MS)) - friendlyAt;
    const angryAt = performance.now();
    await customer.say(ANGRY);
    const escalation = await agent.escalationOf(customer.grant.conversationId, WAIT_MS);
    await agent.resolve(escalation.handoffId);
    return {
      replyMs,
      deliveredMs: escalation.deliveredAt - angryAt,
      listedMs: escalation.listedAt - angryAt,
    };
  } finally {
    customer.close();
  }
}

/** Runs `count` visits, `atOnce` at a time. */
async function visits(base: string, agent: ConsoleAgent, count: number, atOnce: number): Promise<Timing[]> {
  const timings: Timing[] = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: Math.min(atOnce, count) }, async () => {
      while (started < count) {
        started += 1;
        timings.push(await visit(base, agent));
      }
    }),
  );
  return timings;
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const round2 = (value: number) => Math.round(value * 100) / 100;
function spread(values: number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => round1(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: round1(sorted.at(-1) ?? 0) };
}

const passwordHash = await hashAgentPassword(AGENT.password, { N: 1024 });
const { password: _password, ...account } = AGENT;
assertBuilt();
const redis = await startRedisServer();
const server = await startBenchServer('relevo', {
  REDIS_URL: redis.url,
  AGENT_ACCOUNTS: JSON.stringify([{ ...account, passwordHash }]),
});
let agent: ConsoleAgent | undefined;
try {
  const base = `http://127.0.0.1:${server.port}`;
  agent = await ConsoleAgent.open(base, AGENT.id, AGENT.password);
  // Warm-up: the first turns and handoffs compile code and open connections; not counted.
  await visits(base, agent, WARM_UP_CUSTOMERS, AT_ONCE);
  const startedAt = performance.now();
  const timings = await visits(base, agent, CUSTOMERS, AT_ONCE);
  const seconds = round1((performance.now() - startedAt) / 1000);
  const delivered = spread(timings.map((t) => t.deliveredMs));
  const listed = spread(timings.map((t) => t.listedMs));
  const reply = spread(timings.map((t) => t.replyMs));
  const met = delivered.p99Ms < GOAL_P99_MS;
  const show = ({ p50Ms, p99Ms, maxMs }: typeof reply) =>
    `p50 ${p50Ms} ms   p99 ${p99Ms} ms   max ${maxMs} ms`;
  process.stdout.write(
    `${CUSTOMERS} customers, ${AT_ONCE} at a time, over ${seconds} s (after ${WARM_UP_CUSTOMERS} for warm-up); one agent on the console\n` +
      `  angry message -> handoff.requested on the agent's stream: ${show(delivered)}   goal p99 < ${GOAL_P99_MS} ms: ${met ? 'met' : 'NOT met'}\n` +
      `  angry message -> listed by the console's refresh on that event: ${show(listed)}\n` +
      `  baseline, friendly message -> the bot's reply on the customer's stream: ${show(reply)}\n` +
      `  handoff p50 / baseline p50: ${round2(delivered.p50Ms / reply.p50Ms)}; the console refreshed its lists ${agent.refreshCount} times\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      customers: CUSTOMERS,
      atOnce: AT_ONCE,
      seconds,
      deliveredP50Ms: delivered.p50Ms,
      deliveredP99Ms: delivered.p99Ms,
      deliveredMaxMs: delivered.maxMs,
      listedP50Ms: listed.p50Ms,
      listedP99Ms: listed.p99Ms,
      listedMaxMs: listed.maxMs,
      replyP50Ms: reply.p50Ms,
      replyP99Ms: reply.p99Ms,
      replyMaxMs: reply.maxMs,
      ratioToReplyP50: round2(delivered.p50Ms / reply.p50Ms),
      goalP99Ms: GOAL_P99_MS,
      met,
    })}\n`,
  );
} finally {
  agent?.close();
  await server.stop();
  await redis.stop();
}
