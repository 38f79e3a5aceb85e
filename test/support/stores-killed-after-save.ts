import type { StoreItems } from 'botbuilder';
import { createStores, type Stores } from '../../storage/stores.js';
import type { StorageWriteOptions } from '../../storage/types.js';

/**
 * For a test's server process: the stores its environment names (REDIS_URL or REDIS_CLUSTER_URLS,
 * REDIS_KEY_PREFIX), whose process SIGKILLs itself right after the first state save whose batch
 * contains KILL_AFTER_SAVING (its JSON), before anything after that save runs.
 */
export async function storesKilledAfterSave(): Promise<Stores> {
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
  return stores;
}
