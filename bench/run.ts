/**
 * `npm run bench`: runs each benchmark in its own process (so one cannot warm or slow another), prints
 * what each printed, then a summary table and, as the last line, one JSON object with every figure.
 * Each benchmark measures its baseline in the same run. Every process runs through `sh` with `ulimit -n`
 * raised to the hard limit, as bench/sockets.ts holds 10,000 sockets open. `npm run bench -- --cluster`
 * measures the full pipeline's throughput and its Redis round trips on a private 3-master Redis Cluster
 * instead of one Redis (bench/redis-round-trips.ts counts them through a proxy in front of each master).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildForBench } from './support/build.js';

type Figures = Record<string, Record<string, number>>;

interface Benchmark {
  name: string;
  file: string;
  args: (figures: Figures) => string[];
}

const root = fileURLToPath(new URL('..', import.meta.url));
const cluster = process.argv.includes('--cluster');
const benchmarks: Benchmark[] = [
  { name: 'throughput', file: 'bench/throughput.ts', args: () => (cluster ? ['--cluster'] : []) },
  { name: 'latency', file: 'bench/latency.ts', args: () => [] },
  { name: 'handoff', file: 'bench/handoff-latency.ts', args: () => [] },
  { name: 'promotion', file: 'bench/promotion.ts', args: () => [] },
  { name: 'redis', file: 'bench/redis-round-trips.ts', args: () => (cluster ? ['--cluster'] : []) },
  { name: 'sockets', file: 'bench/sockets.ts', args: () => [] },
  { name: 'nlu', file: 'bench/nlu.ts', args: () => [] },
  { name: 'ledger', file: 'bench/ledger.ts', args: () => [] },
];

try {
  buildForBench(root);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}

const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;
const figures: Figures = {};
let failed = false;
const startedAt = performance.now();
for (const bench of benchmarks) {
  process.stdout.write(`\n== ${bench.name} ==\n`);
  const argv = [
    process.execPath,
    '--disable-warning=DEP0111',
    '--import',
    'tsx',
    bench.file,
    ...bench.args(figures),
  ];
  const run = spawnSync(
    'sh',
    ['-c', `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${argv.map(quote).join(' ')}`],
    {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 5 * 60 * 1000,
    },
  );
  process.stdout.write(run.stdout ?? '');
  const last = (run.stdout ?? '').trim().split('\n').at(-1) ?? '';
  try {
    figures[bench.name] = JSON.parse(last) as Record<string, number>;
  } catch {
    process.stdout.write(`${bench.name} did not end with a JSON line\n`);
  }
  if (run.status !== 0) {
    failed = true;
    process.stdout.write(`${bench.name} failed with exit code ${run.status ?? run.signal}\n`);
  }
}

const f = (bench: string, name: string) => figures[bench]?.[name];
const summary = {
  pipelineMessagesPerSecond: f('throughput', 'relevoMessagesPerSecond'),
  echoBotMessagesPerSecond: f('throughput', 'echoMessagesPerSecond'),
  pipelineToEchoRatio: f('throughput', 'ratio'),
  pipelineCpuMsPerMessage: f('throughput', 'relevoCpuMsPerMessage'),
  echoBotCpuMsPerMessage: f('throughput', 'echoCpuMsPerMessage'),
  echoToPipelineCpuRatio: f('throughput', 'cpuRatio'),
  latencyPeakPerSecond: f('latency', 'peakMessagesPerSecond'),
  latencyRatePerSecond: f('latency', 'ratePerSecond'),
  latencyP50Ms: f('latency', 'p50Ms'),
  latencyP99Ms: f('latency', 'p99Ms'),
  handoffToConsoleP50Ms: f('handoff', 'deliveredP50Ms'),
  handoffToConsoleP99Ms: f('handoff', 'deliveredP99Ms'),
  handoffListedP50Ms: f('handoff', 'listedP50Ms'),
  handoffListedP99Ms: f('handoff', 'listedP99Ms'),
  handoffBaselineReplyP50Ms: f('handoff', 'replyP50Ms'),
  handoffBaselineReplyP99Ms: f('handoff', 'replyP99Ms'),
  pipelinePromotedKbPerMessage: f('promotion', 'relevoPromotedKbPerMessage'),
  echoBotPromotedKbPerMessage: f('promotion', 'echoPromotedKbPerMessage'),
  redisCommandsPerMessage: f('redis', 'commandsPerMessage'),
  redisRoundTripsPerMessage: f('redis', 'roundTripsPerMessage'),
  redisOwnRoundTripsPerMessage: f('redis', 'ownRoundTripsPerMessage'),
  nluUtterancesPerSecond: f('nlu', 'utterancesPerSecond'),
  ledgerCreditsPerSecond: f('ledger', 'ledgerCreditsPerSecond'),
  incrbyPerSecond: f('ledger', 'incrbyPerSecond'),
  ledgerToIncrbyRatio: f('ledger', 'ratioToIncrby'),
  sockets: f('sockets', 'sockets'),
  rssPerSocketKb: f('sockets', 'rssPerSocketKb'),
  heapPerSocketKb: f('sockets', 'heapPerSocketKb'),
};

const show = (value: number | undefined, unit = '') => (value === undefined ? 'n/a' : `${value}${unit}`);
const verdict = (isMet: boolean | undefined) => (isMet === undefined ? '' : isMet ? 'met' : 'NOT met');
const below = (value: number | undefined, goal: number) => (value === undefined ? undefined : value < goal);
const rows: [string, string, string, string][] = [
  [
    `full pipeline, web chat on ${cluster ? 'a Redis Cluster' : 'Redis'}`,
    show(summary.pipelineMessagesPerSecond, ' msg/s'),
    '',
    '',
  ],
  ['bare botbuilder echo bot (restify)', show(summary.echoBotMessagesPerSecond, ' msg/s'), '', ''],
  [
    'pipeline / echo bot',
    show(summary.pipelineToEchoRatio),
    '>= 0.5',
    verdict(summary.pipelineToEchoRatio === undefined ? undefined : summary.pipelineToEchoRatio >= 0.5),
  ],
  [
    `CPU per message, pipeline (with Redis) / echo bot`,
    `${show(summary.pipelineCpuMsPerMessage)} / ${show(summary.echoBotCpuMsPerMessage, ' ms')}`,
    '',
    '',
  ],
  ['echo bot / pipeline CPU per message', show(summary.echoToPipelineCpuRatio), '', ''],
  [
    `latency at 70 % of peak (${show(summary.latencyPeakPerSecond)} -> ${show(summary.latencyRatePerSecond, ' msg/s')}), p50`,
    show(summary.latencyP50Ms, ' ms'),
    '',
    '',
  ],
  [
    'latency at 70 % of peak, p99',
    show(summary.latencyP99Ms, ' ms'),
    '< 50 ms',
    verdict(below(summary.latencyP99Ms, 50)),
  ],
  [
    'angry web chat message -> agent console stream, p50 / p99',
    `${show(summary.handoffToConsoleP50Ms)} / ${show(summary.handoffToConsoleP99Ms, ' ms')}`,
    '< 1000 ms (p99)',
    verdict(below(summary.handoffToConsoleP99Ms, 1000)),
  ],
  [
    "  listed by the console's refresh on that event, p50 / p99",
    `${show(summary.handoffListedP50Ms)} / ${show(summary.handoffListedP99Ms, ' ms')}`,
    '',
    '',
  ],
  [
    "  baseline: a friendly message -> the bot's reply on its stream, p50 / p99",
    `${show(summary.handoffBaselineReplyP50Ms)} / ${show(summary.handoffBaselineReplyP99Ms, ' ms')}`,
    '',
    '',
  ],
  [
    'heap promoted per message after its turn (idle), pipeline / echo bot',
    `${show(summary.pipelinePromotedKbPerMessage)} / ${show(summary.echoBotPromotedKbPerMessage, ' KB')}`,
    '',
    '',
  ],
  ['Redis commands per message', show(summary.redisCommandsPerMessage), '', ''],
  [
    'Redis round trips per message',
    show(summary.redisRoundTripsPerMessage),
    '<= 4',
    verdict(below(summary.redisRoundTripsPerMessage, 4.0001)),
  ],
  [
    "Redis round trips of a message's own chain (no polls, timers)",
    show(summary.redisOwnRoundTripsPerMessage),
    '<= 4',
    verdict(below(summary.redisOwnRoundTripsPerMessage, 4.0001)),
  ],
  ['NLU utterances/s (one core)', show(summary.nluUtterancesPerSecond), '', ''],
  ['ledger credits/s', show(summary.ledgerCreditsPerSecond), '', ''],
  ['raw INCRBY/s', show(summary.incrbyPerSecond), '', ''],
  ['ledger credit / INCRBY', show(summary.ledgerToIncrbyRatio), '', ''],
  [
    `RSS per open web chat socket (${show(summary.sockets)} open)`,
    show(summary.rssPerSocketKb, ' KB'),
    '< 50 KB',
    verdict(below(summary.rssPerSocketKb, 50)),
  ],
  ['heap per open web chat socket', show(summary.heapPerSocketKb, ' KB'), '', ''],
];
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0), 6));
const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |\n`;
process.stdout.write(`\n== summary (${((performance.now() - startedAt) / 1000).toFixed(0)} s) ==\n`);
process.stdout.write(line(['figure', 'value', 'goal', '']));
process.stdout.write(line(widths.map((width) => '-'.repeat(width))));
for (const row of rows) process.stdout.write(line(row));
process.stdout.write(`${JSON.stringify({ summary, ...figures })}\n`);
process.exit(failed ? 1 : 0);
