/*
 * A web chat server process (run with `node --import tsx`) that SIGKILLs itself right after the state
 * save that takes its conversation to step KILL_AFTER_STEP, before that turn's commit: the test hook of
 * test/connectors/webchat/kill-after-save.test.ts, in test code only. Env: REDIS_URL or
 * REDIS_CLUSTER_URLS, REDIS_KEY_PREFIX.
 * Prints `listening <base url>` once it serves.
 */
import type { StoreItems } from 'botbuilder';
import { createPipeline } from '../../bots/pipeline.js';
import { silentLogger } from '../../core/logger.js';
import { StateMiddleware } from '../../storage/state-middleware.js';
import { createStores } from '../../storage/stores.js';
import { stepBot } from './step-bot.js';
import { startWebChatServer } from './webchat-server.js';

const killAfterStep = Number(process.env.KILL_AFTER_STEP);
const stores = await createStores({
  redisUrl: process.env.REDIS_URL,
  redisClusterUrls: process.env.REDIS_CLUSTER_URLS?.split(','),
  prefix: process.env.REDIS_KEY_PREFIX ?? 'relevo',
});
const write = stores.storage.write.bind(stores.storage);
stores.storage.write = async (changes: StoreItems) => {
  await write(changes);
  const steps = Object.values(changes).map((item) => (item as { step?: unknown } | undefined)?.step);
  if (steps.includes(killAfterStep)) process.kill(process.pid, 'SIGKILL');
};
const state = new StateMiddleware(stores.storage);
const server = await startWebChatServer({
  stores,
  pipeline: createPipeline({ stores, logger: silentLogger, state }),
  bot: stepBot(state),
  visibilityMs: 1_000,
});
process.stdout.write(`listening ${server.base}\n`);
