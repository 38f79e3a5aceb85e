/**
 * What a server under test spends its time on while a benchmark measures it, to explain a latency
 * tail: its garbage-collection pauses, how late its event loop ran (`monitorEventLoopDelay`) and, per
 * HTTP request, the time from the request being read to the answer being written (from `node:http`'s
 * diagnostics channels, so no route is touched). A client-side latency much above the server's own
 * time was spent before the server read the request: waiting in the socket for a busy event loop.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';

/** Epoch ms a GC pause began, its length in ms, and 1 for a mark-compact (0 for a scavenge). */
export type GcPause = [number, number, number];

export interface Observed {
  seconds: number;
  /** Scavenges (young generation) and mark-compacts (old generation): count, total and longest pause. */
  minorGc: { count: number; totalMs: number; maxMs: number };
  majorGc: { count: number; totalMs: number; maxMs: number };
  /** Share of the wall time the main thread spent in GC pauses. */
  gcShare: number;
  /** How late the event loop ran a timer due every 10 ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Requests answered, and the time each took inside the server (read → answer written). */
  requests: number;
  serverP50Ms: number;
  serverP99Ms: number;
  /** Every GC pause of 1 ms or more: epoch ms it began, how long it took, and 1 if a mark-compact. */
  gcPauses: GcPause[];
}

/** Starts observing this process; the function returned stops and summarises. */
export function observe(): () => Observed {
  const startedAt = performance.now();
  const gc = { minor: [] as number[], major: [] as number[] };
  const gcPauses: GcPause[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      const minor = kind === constants.NODE_PERFORMANCE_GC_MINOR;
      (minor ? gc.minor : gc.major).push(entry.duration);
      if (entry.duration >= 1 || !minor)
        gcPauses.push([performance.timeOrigin + entry.startTime, entry.duration, minor ? 0 : 1]);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const began = new WeakMap<IncomingMessage, number>();
  const times: number[] = [];
  const onStart = (message: unknown) => {
    began.set((message as { request: IncomingMessage }).request, performance.now());
  };
  const onFinish = (message: unknown) => {
    const { request } = message as { request: IncomingMessage; response: ServerResponse };
    const at = began.get(request);
    if (at !== undefined) times.push(performance.now() - at);
  };
  subscribe('http.server.request.start', onStart);
  subscribe('http.server.response.finish', onFinish);
  return () => {
    gcObserver.disconnect();
    loop.disable();
    unsubscribe('http.server.request.start', onStart);
    unsubscribe('http.server.response.finish', onFinish);
    const elapsedMs = performance.now() - startedAt;
    const pauses = (list: number[]) => ({
      count: list.length,
      totalMs: round1(list.reduce((sum, ms) => sum + ms, 0)),
      maxMs: round1(Math.max(0, ...list)),
    });
    times.sort((a, b) => a - b);
    const at = (q: number) => round1(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0);
    const minorGc = pauses(gc.minor);
    const majorGc = pauses(gc.major);
    return {
      seconds: round1(elapsedMs / 1000),
      minorGc,
      majorGc,
      gcShare: Math.round(((minorGc.totalMs + majorGc.totalMs) / elapsedMs) * 1000) / 1000,
      loopDelayP99Ms: round1(loop.percentile(99) / 1e6),
      loopDelayMaxMs: round1(loop.max / 1e6),
      requests: times.length,
      serverP50Ms: at(0.5),
      serverP99Ms: at(0.99),
      gcPauses,
    };
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
