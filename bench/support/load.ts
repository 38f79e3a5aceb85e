/**
 * Load generators for the web chat benchmarks. `closedLoop` is autocannon: each connection is one
 * conversation sending its next message as soon as the last was answered, the most a server can take.
 * `openLoop` sends at a fixed rate whatever the server does, and times each message from when it was
 * due, so a slow answer cannot hide the messages queued behind it (no coordinated omission); it sends
 * through `RawHttpPool` (raw-http.ts), which costs the shared cores about half what `node:http` did.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { RawHttpPool } from './raw-http.js';

export interface ConversationRequests {
  /** The HTTP requests of one conversation, sent in a loop by one connection. */
  requests: autocannon.Request[];
}

export interface ClosedLoopResult {
  messagesPerSecond: number;
  messages: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs autocannon with one conversation per connection, for at most `durationS` and `maxRequests`. */
export async function closedLoop(options: {
  url: string;
  conversations: ConversationRequests[];
  durationS: number;
  maxRequests: number;
}): Promise<ClosedLoopResult> {
  let client = 0;
  const result = await autocannon({
    url: options.url,
    connections: options.conversations.length,
    duration: options.durationS,
    maxOverallRequests: options.maxRequests,
    timeout: 30,
    setupClient: (each) => {
      const conversation = options.conversations[client % options.conversations.length];
      client += 1;
      if (conversation) each.setRequests(conversation.requests);
    },
  });
  const answered = result.requests.total;
  const failed = result.non2xx + result.errors + result.timeouts;
  return {
    messagesPerSecond: Math.round((answered - result.non2xx) / result.duration),
    messages: answered,
    failed,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

export interface OpenLoopMessage {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface OpenLoopResult {
  sent: number;
  failed: number;
  /** Why the failed ones failed: HTTP status or error code → count. */
  failures: Record<string, number>;
  achievedPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How late the generator itself sent: p99 of send time minus due time, and its event loop's worst delay. */
  sendLagP99Ms: number;
  clientLoopDelayMaxMs: number;
  /** Of the slowest 1 %, the share due while the previous message of their conversation was unanswered. */
  slowBehindOwnConversation: number;
  /**
   * In how many separate stretches the slowest 1 % were due (due times more than 100 ms apart start a
   * new one): a few means stalls that hit every conversation at once, many means slow turns here and there.
   */
  slowStretches: number;
  /** Those stretches: epoch ms from the first one due to the last one answered, and how many. */
  stretches: SlowStretch[];
}

export interface SlowStretch {
  fromMs: number;
  toMs: number;
  messages: number;
}

/**
 * Sends `ratePerSecond` messages for `durationS`; `messageFor(i)` picks each one (callers rotate over
 * conversations so one conversation rarely has two in flight). Latency counts from the due time.
 */
export async function openLoop(options: {
  port: number;
  ratePerSecond: number;
  durationS: number;
  messageFor: (i: number) => OpenLoopMessage;
}): Promise<OpenLoopResult> {
  const pool = new RawHttpPool(options.port);
  const total = Math.max(1, Math.round(options.ratePerSecond * options.durationS));
  const intervalMs = 1000 / options.ratePerSecond;
  const latencies: number[] = [];
  const lags: number[] = [];
  // Per message answered: [latency, whether the previous one of its conversation was still in flight, due].
  const answered: [number, boolean, number][] = [];
  const lastAnswerAt = new Map<string, number>();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let failed = 0;
  const failures: Record<string, number> = {};
  const fail = (reason: string) => {
    failed += 1;
    failures[reason] = (failures[reason] ?? 0) + 1;
  };
  const startedAt = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const dueAt = startedAt + i * intervalMs;
    const wait = dueAt - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const message = options.messageFor(i);
    lags.push(performance.now() - dueAt);
    const previous = lastAnswerAt.get(message.path);
    const behind = previous === undefined ? false : previous === Number.POSITIVE_INFINITY;
    lastAnswerAt.set(message.path, Number.POSITIVE_INFINITY);
    inFlight.push(
      pool.post(message).then(
        (status) => {
          const now = performance.now();
          lastAnswerAt.set(message.path, now);
          if (status === 200) {
            latencies.push(now - dueAt);
            answered.push([now - dueAt, behind, dueAt]);
          } else fail(String(status));
        },
        (error: NodeJS.ErrnoException) => fail(error.code ?? error.message),
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - startedAt) / 1000;
  pool.destroy();
  loop.disable();
  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  const quantile = (list: number[], q: number) =>
    round1(list[Math.min(list.length - 1, Math.floor(q * list.length))] ?? 0);
  const at = (q: number) => quantile(latencies, q);
  const slowest = answered
    .sort((a, b) => b[0] - a[0])
    .slice(0, Math.max(1, Math.ceil(answered.length / 100)));
  const groups = stretches(slowest);
  return {
    sent: total,
    failed,
    failures,
    achievedPerSecond: Math.round(latencies.length / elapsedS),
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: round1(latencies.at(-1) ?? 0),
    sendLagP99Ms: quantile(lags, 0.99),
    clientLoopDelayMaxMs: round1(loop.max / 1e6),
    slowBehindOwnConversation:
      Math.round((slowest.filter(([, behind]) => behind).length / slowest.length) * 100) / 100,
    slowStretches: groups.length,
    stretches: groups,
  };
}

/** Runs of messages due at most 100 ms after the one before, as epoch times (due → last answered). */
function stretches(messages: [number, boolean, number][]): SlowStretch[] {
  const sorted = [...messages].sort((a, b) => a[2] - b[2]);
  const groups: SlowStretch[] = [];
  let previousDue = Number.NEGATIVE_INFINITY;
  for (const [latency, , due] of sorted) {
    const epochDue = performance.timeOrigin + due;
    const last = groups.at(-1);
    if (!last || due - previousDue > 100)
      groups.push({ fromMs: epochDue, toMs: epochDue + latency, messages: 1 });
    else {
      last.toMs = Math.max(last.toMs, epochDue + latency);
      last.messages += 1;
    }
    previousDue = due;
  }
  return groups;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
