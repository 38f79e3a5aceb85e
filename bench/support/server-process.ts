/**
 * The server under test, in a process of its own so the load generator never shares its event loop:
 * `node --expose-gc dist/bench/support/server-process.js relevo|echo`, compiled by tsc with the product
 * (`npm run bench:build`), so it imports the product from dist/ as `npm start` runs it, not under tsx
 * (whose esbuild helpers and loader would be measured too). `relevo` is the composed server of
 * bots/relevo.ts with the real agent on `REDIS_URL` (or `REDIS_CLUSTER_URLS`) and the agent accounts of
 * `AGENT_ACCOUNTS` when set; `echo` is a bare botbuilder echo bot (CloudAdapter on restify) replying to
 * the Bot Connector at `BENCH_SERVICE_URL`. It reports its port
 * over IPC and answers `{type: 'memory'}` with its heap and RSS after a full garbage collection, and
 * `{type: 'cpu'}` with the CPU time (user + system) it has used so far; `{type: 'observe'}` starts
 * recording its GC pauses, event-loop delay and per-request times, `{type: 'observed'}` answers them;
 * `{type: 'scavenge'}` runs one young-generation collection.
 */
import type { AddressInfo } from 'node:net';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder';
import restify from 'restify';
import { loadConfig } from '../../bots/config.js';
import { createRelevo } from '../../bots/relevo.js';
import { silentLogger } from '../../core/logger.js';
import { type Observed, observe } from './observe.js';

export interface MemorySample {
  heapUsed: number;
  rss: number;
  external: number;
}

async function echo(context: TurnContext): Promise<void> {
  if (context.activity.type === 'message') await context.sendActivity(`echo: ${context.activity.text}`);
}

async function startEcho(): Promise<{ port: number; close: () => Promise<void> }> {
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const server = restify.createServer();
  server.use(restify.plugins.bodyParser());
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, echo);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function startRelevo(): Promise<{ port: number; close: () => Promise<void> }> {
  const relevo = await createRelevo({
    config: loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      REDIS_URL: process.env.REDIS_URL,
      REDIS_CLUSTER_URLS: process.env.REDIS_CLUSTER_URLS,
      REDIS_KEY_PREFIX: 'bench',
      // Bench conversations send far faster than a person types: the per-key limit stays on (its Redis
      // commands are counted) but high enough never to answer "slow down" instead of running the turn.
      RATE_LIMIT_PER_MINUTE: '10000',
      // bench/handoff-latency.ts logs an agent in on the console.
      AGENT_ACCOUNTS: process.env.AGENT_ACCOUNTS,
    }),
    logger: silentLogger,
  });
  const { port } = await relevo.listen();
  return { port, close: () => relevo.close() };
}

function memory(): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss, external: usage.external };
}

let observing: (() => Observed) | undefined;
const mode = process.argv[2];
const server = mode === 'echo' ? await startEcho() : await startRelevo();
process.on('message', (message: { type?: string }) => {
  if (message.type === 'memory') process.send?.({ type: 'memory', sample: memory() });
  if (message.type === 'cpu') {
    const usage = process.cpuUsage();
    process.send?.({ type: 'cpu', ms: (usage.user + usage.system) / 1000 });
  }
  if (message.type === 'scavenge') {
    (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc?.({ type: 'minor' });
    process.send?.({ type: 'scavenged' });
  }
  if (message.type === 'observe') observing = observe();
  if (message.type === 'observed') {
    process.send?.({ type: 'observed', observed: observing?.() });
    observing = undefined;
  }
  if (message.type === 'stop')
    void server.close().finally(() => process.send?.({ type: 'stopped' }, () => process.exit(0)));
});
process.send?.({ type: 'ready', port: server.port });
