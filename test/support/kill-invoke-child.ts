/*
 * A Bot Framework channel process (run with `node --import tsx`) serving test/support/invoke-agent.ts's
 * counter game, that SIGKILLs itself right after the first state save whose batch contains
 * KILL_AFTER_SAVING (its JSON), before the dedupe stage records the turn done: the test hook of
 * test/connectors/botframework/invoke-replay.test.ts, in test code only. Its claims and conversation
 * locks lapse after 1 s. Env: REDIS_URL or REDIS_CLUSTER_URLS, REDIS_KEY_PREFIX. Prints
 * `listening <base url>` once it serves.
 */
import type { StoreItems } from 'botbuilder';
import { createStores } from '../../storage/stores.js';
import type { StorageWriteOptions } from '../../storage/types.js';
import { startInvokeAgent } from './invoke-agent.js';

const killAfterSaving = process.env.KILL_AFTER_SAVING ?? '';
const stores = await createStores({
  redisUrl: process.env.REDIS_URL,
  redisClusterUrls: process.env.REDIS_CLUSTER_URLS?.split(','),
  prefix: process.env.REDIS_KEY_PREFIX ?? 'relevo',
});
const write = stores.storage.write.bind(stores.storage);
stores.storage.write = async (changes: StoreItems, options?: StorageWriteOptions) => {
  await write(changes, options);
  if (killAfterSaving && JSON.stringify(changes).includes(killAfterSaving))
    process.kill(process.pid, 'SIGKILL');
};
const agent = await startInvokeAgent(stores, { leaseMs: 1_000 });
process.stdout.write(`listening ${agent.base}\n`);
