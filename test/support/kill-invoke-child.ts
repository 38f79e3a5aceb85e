/*
 * A Bot Framework channel process (run with `node --import tsx`) serving test/support/invoke-agent.ts's
 * counter game, that SIGKILLs itself right after the first state save whose batch contains
 * KILL_AFTER_SAVING (its JSON), before the dedupe stage records the turn done: the test hook of
 * test/connectors/botframework/invoke-replay.test.ts, in test code only. Its claims and conversation
 * locks lapse after 1 s. Env: REDIS_URL or REDIS_CLUSTER_URLS, REDIS_KEY_PREFIX. Prints
 * `listening <base url>` once it serves.
 */
import { startInvokeAgent } from './invoke-agent.js';
import { storesKilledAfterSave } from './stores-killed-after-save.js';

const stores = await storesKilledAfterSave();
const agent = await startInvokeAgent(stores, { leaseMs: 1_000 });
process.stdout.write(`listening ${agent.base}\n`);
