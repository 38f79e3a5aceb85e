import type { Activity, TurnContext } from 'botbuilder';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisScript } from '../../storage/redis-script.js';
import { RedisStorage } from '../../storage/redis-storage.js';
import { StateMiddleware } from '../../storage/state-middleware.js';
import { CollectingAdapter } from '../support/collecting-adapter.js';
import { useRedis } from '../support/redis-fixture.js';
import { customerMessage } from '../support/customer-message.js';

const redis = useRedis('cluster');
const run = RedisScript.prototype.run;

afterEach(() => {
  RedisScript.prototype.run = run;
});

describe('a queued turn whose save a killed process cut between two Redis Cluster slots', () => {
  it('runs again with everything it learnt, since the part holding the outbox is written last', async () => {
    const storage = new RedisStorage(await redis.connect(), { prefix: redis.prefix });
    const state = new StateMiddleware(storage);
    const step = state.conversationProperty<number>('step');
    const language = state.userProperty<string>('language');
    const logic = async (context: TurnContext) => {
      const next = (await step.get(context, 0)) + 1;
      await step.set(context, next);
      await language.set(context, 'fr');
      await context.sendActivity(`étape ${next}`);
    };
    const activity = customerMessage('in-1', 'bonjour', {
      conversation: { id: `conversation-${redis.prefix}` } as Activity['conversation'],
    });
    // The first process dies as it writes the member's slot: that part never lands.
    let cut = false;
    let reached: () => void = () => {};
    const cutReached = new Promise<void>((resolve) => {
      reached = resolve;
    });
    RedisScript.prototype.run = function (this: RedisScript, client, keys, args) {
      if (!cut && keys.some((key) => key.includes('/users/'))) {
        cut = true;
        reached();
        return new Promise(() => {});
      }
      return run.call(this, client, keys, args);
    };
    const dying = new CollectingAdapter({ pipeline: [state] });
    void dying.processActivity(activity, logic, { id: 'in-1', attempt: 1 });
    await cutReached;
    // Another process takes the entry over.
    const other = new CollectingAdapter({ pipeline: [state] });
    await other.processActivity(activity, logic, { id: 'in-1', attempt: 2 });

    expect(other.sent.map((reply) => reply.text)).toEqual(['étape 1']);
    const userKey = 'test/users/test:user-1';
    const conversationKey = `test/conversations/conversation-${redis.prefix}`;
    const saved = await storage.read([userKey, conversationKey]);
    expect(saved[userKey]).toMatchObject({ language: 'fr' });
    expect(saved[conversationKey]).toMatchObject({ step: 1, turnOutbox: { id: 'in-1' } });
  });
});
