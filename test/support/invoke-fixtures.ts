import { randomUUID } from 'node:crypto';
import type { StoreItems } from 'botbuilder';
import { afterEach } from 'vitest';
import { createStores, type Stores, type StoresOptions } from '../../storage/stores.js';
import type { StorageWriteOptions } from '../../storage/types.js';
import { type InvokeAgent, type InvokeAgentOptions, startInvokeAgent } from './invoke-agent.js';

/** The identity key of the Emulator's user-7, who sends every activity of the invoke agent's tests. */
export const ANA = 'emulator:user-7';

/** The texts of an `expectReplies` answer's activities. */
export const texts = (body: unknown) =>
  (body as { activities: { text: string }[] }).activities.map((activity) => activity.text);

/**
 * Stores and invoke agents for one test file, each closed after its test (newest first); stores get a
 * key prefix of their own under `prefix`.
 */
export function useInvokeFixtures(prefix: string): {
  storesOn: (options: StoresOptions, storesPrefix?: string) => Promise<Stores>;
  agentOn: (stores: Stores, options?: InvokeAgentOptions) => Promise<InvokeAgent>;
  cleanups: (() => Promise<void>)[];
} {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    cleanups,
    storesOn: async (options, storesPrefix = `${prefix}-${randomUUID().slice(0, 8)}`) => {
      const stores = await createStores({ ...options, prefix: storesPrefix });
      cleanups.push(() => stores.close());
      return stores;
    },
    agentOn: async (stores, options = {}) => {
      const agent = await startInvokeAgent(stores, options);
      cleanups.push(() => agent.close());
      return agent;
    },
  };
}

/**
 * The turn whose state save contains `marker` is cut once, the way a process dies: right `after` its
 * save landed (before the dedupe stage records it done), or `before` it was sent.
 */
export function cutTurn(stores: Stores, marker: string, when: 'after' | 'before'): void {
  const write = stores.storage.write.bind(stores.storage);
  let armed = true;
  stores.storage.write = async (changes: StoreItems, options?: StorageWriteOptions) => {
    const hit = armed && JSON.stringify(changes).includes(marker);
    if (hit) armed = false;
    if (hit && when === 'before') throw new Error('the process died before its save');
    await write(changes, options);
    if (hit) throw new Error('the process died after its save');
  };
}
