/*
 * A web chat server process (run with `node --import tsx`) that SIGKILLs itself right after the first
 * state save whose batch contains KILL_AFTER_SAVING (its JSON), before that turn's commit, or (with
 * KILL_BEFORE_DELETING) as it is about to delete keys naming that text, or (with KILL_AFTER_PART) right
 * after the first Redis script whose arguments contain that text returned (one part of a Redis Cluster
 * save, before the next part is sent): the test hook of test/connectors/webchat/kill-after-save.test.ts
 * and test/identity/forget-me-kill.test.ts, in test code only. It runs the step bot
 * (test/support/step-bot.ts, counting the customer's messages with COUNT_MESSAGES=1) on the bare
 * pipeline, or with AGENT=1 the composed Relevo agent. Env: REDIS_URL or REDIS_CLUSTER_URLS,
 * REDIS_KEY_PREFIX. Prints `listening <base url>` once it serves.
 */
import { composeAgent } from '../../bots/compose-agent.js';
import { loadConfig } from '../../bots/config.js';
import { createPipeline } from '../../bots/pipeline.js';
import { silentLogger } from '../../core/logger.js';
import { RedisScript } from '../../storage/redis-script.js';
import { StateMiddleware } from '../../storage/state-middleware.js';
import { stepBot } from './step-bot.js';
import { startWebChatServer } from './webchat-server.js';
import { storesKilledAfterSave } from './stores-killed-after-save.js';

const stores = await storesKilledAfterSave();
// KILL_BEFORE_DELETING: it dies instead of sending the first DEL whose keys contain this text.
const killBeforeDeleting = process.env.KILL_BEFORE_DELETING;
const redis = stores.redis as unknown as { del: (keys: string[]) => Promise<unknown> } | undefined;
if (killBeforeDeleting && redis) {
  const del = redis.del.bind(redis);
  redis.del = async (keys: string[]) => {
    if ([keys].flat().some((key) => key.includes(killBeforeDeleting))) process.kill(process.pid, 'SIGKILL');
    return del(keys);
  };
}
const killAfterPart = process.env.KILL_AFTER_PART;
if (killAfterPart) {
  const run = RedisScript.prototype.run;
  RedisScript.prototype.run = async function (this: RedisScript, client, keys, args) {
    const reply = await run.call(this, client, keys, args);
    if (args.some((arg) => arg.includes(killAfterPart))) process.kill(process.pid, 'SIGKILL');
    return reply;
  };
}
const server = await startWebChatServer({
  stores,
  ...(await turnsOn(stores)),
  visibilityMs: 1_000,
});
process.stdout.write(`listening ${server.base}\n`);

async function turnsOn(on: typeof stores) {
  if (process.env.AGENT === '1') {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1' });
    const agent = await composeAgent({ config, logger: silentLogger, stores: on });
    return { pipeline: agent.pipeline, bot: agent.bot };
  }
  const state = new StateMiddleware(on.storage);
  return {
    pipeline: createPipeline({ stores: on, logger: silentLogger, state }),
    bot: stepBot(state, { countMessages: process.env.COUNT_MESSAGES === '1' }),
  };
}
