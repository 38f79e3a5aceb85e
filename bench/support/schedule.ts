/**
 * Whether a process's main thread was running, or ready but waiting for a core, moment by moment:
 * samples Linux's `/proc/<pid>/schedstat` (nanoseconds on a CPU, nanoseconds waiting on a run queue)
 * of the watched processes every 10 ms. The main thread is the one a request waits for (Node's event
 * loop, Redis's command loop); helper threads (GC, I/O) would count waits no request saw. A latency stall in which the server waited on the
 * run queue is the machine's cores, not the server's code; one in which it ran flat out is its own work;
 * one in which it neither ran nor waited is waiting for I/O (Redis). For the processes named in
 * `withThreads`, their other threads are summed too, as `<name>:threads`: in Node, V8's helpers
 * (concurrent marking, parallel scavenging, compilation) and libuv's pool, which take a core from the
 * rest while the main thread runs. Returns nothing where /proc has no schedstat (non-Linux), and the
 * summary then says so.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Per process: epoch ms of each sample, and on-CPU / run-queue ns accumulated since the start. */
interface Series {
  at: number[];
  onCpuNs: number[];
  waitNs: number[];
}

export interface ScheduleWindow {
  /** Milliseconds the process spent on a CPU, and ready but waiting for one, inside the window. */
  onCpuMs: number;
  waitingMs: number;
}

export interface Schedule {
  /** Totals of `name` between two epoch times (ms), from the samples around them. */
  between(name: string, fromMs: number, toMs: number): ScheduleWindow | undefined;
}

const EVERY_MS = 10;

/** Starts sampling `pids` (name → pid); the function returned stops and gives the series. */
export function sampleSchedule(pids: Record<string, number>, withThreads: string[] = []): () => Schedule {
  const series = new Map<string, Series>();
  const record = (name: string, at: number, totals: [number, number] | undefined) => {
    if (!totals) return;
    let entry = series.get(name);
    if (!entry) {
      entry = { at: [], onCpuNs: [], waitNs: [] };
      series.set(name, entry);
    }
    entry.at.push(at);
    entry.onCpuNs.push(totals[0]);
    entry.waitNs.push(totals[1]);
  };
  const sample = () => {
    const at = performance.timeOrigin + performance.now();
    for (const [name, pid] of Object.entries(pids)) {
      record(name, at, readProcess(pid));
      if (withThreads.includes(name)) record(`${name}:threads`, at, readOtherThreads(pid));
    }
  };
  sample();
  const timer = setInterval(sample, EVERY_MS);
  return () => {
    clearInterval(timer);
    sample();
    return {
      between(name, fromMs, toMs) {
        const entry = series.get(name);
        if (!entry) return undefined;
        const first = Math.max(0, lastAtOrBefore(entry.at, fromMs));
        const last = Math.min(entry.at.length - 1, lastAtOrBefore(entry.at, toMs) + 1);
        return {
          onCpuMs: round1(((entry.onCpuNs[last] ?? 0) - (entry.onCpuNs[first] ?? 0)) / 1e6),
          waitingMs: round1(((entry.waitNs[last] ?? 0) - (entry.waitNs[first] ?? 0)) / 1e6),
        };
      },
    };
  };
}

/** On-CPU and run-queue nanoseconds of the process's main thread; undefined if unreadable. */
function readProcess(pid: number): [number, number] | undefined {
  return readThread(pid, String(pid));
}

/** On-CPU and run-queue nanoseconds of one thread; undefined if unreadable (or it ended). */
function readThread(pid: number, tid: string): [number, number] | undefined {
  try {
    const [onCpu, waiting] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
    return [Number(onCpu), Number(waiting)];
  } catch {
    return undefined;
  }
}

/** On-CPU and run-queue nanoseconds of the process's threads other than the main one, summed. */
function readOtherThreads(pid: number): [number, number] | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const totals: [number, number] = [0, 0];
  for (const tid of tids) {
    // A thread that ended between the listing and the read counts nothing.
    const thread = tid === String(pid) ? undefined : readThread(pid, tid);
    totals[0] += thread?.[0] ?? 0;
    totals[1] += thread?.[1] ?? 0;
  }
  return totals;
}

function lastAtOrBefore(times: number[], at: number): number {
  let low = 0;
  let high = times.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if ((times[middle] ?? 0) <= at) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
