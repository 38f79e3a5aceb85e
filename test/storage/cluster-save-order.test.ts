import { randomUUID } from 'node:crypto';
import type { Activity, Middleware, TurnContext } from 'botbuilder';
import { TurnStateKey } from '../../core/turn-state.js';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisScript } from '../../storage/redis-script.js';
import { RedisStorage } from '../../storage/redis-storage.js';
import { restoredBeforeTurn } from '../../storage/restored-items.js';
import { StateMiddleware } from '../../storage/state-middleware.js';
import { CollectingAdapter } from '../support/collecting-adapter.js';
import { useRedis } from '../support/redis-fixture.js';
import { customerMessage } from '../support/customer-message.js';

const redis = useRedis('cluster');
const run = RedisScript.prototype.run;

afterEach(() => {
  RedisScript.prototype.run = run;
});

/**
 * The process "dies" as it sends the first write script whose keys contain `where`: that part of the
 * save never lands, nor anything after it. Resolves once it got there.
 */
function dieAtScriptOn(where: string): Promise<void> {
  let cut = false;
  return new Promise<void>((reached) => {
    RedisScript.prototype.run = function (this: RedisScript, client, keys, args) {
      // The state read's script takes the turn's mark alone; a write's take eTags and JSON.
      if (!cut && args.length > 1 && keys.some((key) => key.includes(where))) {
        cut = true;
        reached();
        return new Promise(() => {});
      }
      return run.call(this, client, keys, args);
    };
  });
}

/** The survey turn, cut as its process dies writing the conversation's part (the member's landed). */
async function cutSurveyTurn() {
  const turn = await surveyTurn();
  const cutReached = dieAtScriptOn('/conversations/');
  void new CollectingAdapter({ pipeline: [turn.state] }).processActivity(turn.activity, turn.logic, {
    id: 'in-1',
    attempt: 1,
  });
  await cutReached;
  RedisScript.prototype.run = run;
  return turn;
}

/** A storage of its own per test, and a turn that moves a dialog (conversation) and a survey (member). */
async function surveyTurn() {
  const storage = new RedisStorage(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` });
  const state = new StateMiddleware(storage);
  const step = state.conversationProperty<number>('step');
  const answers = state.userProperty<number[]>('csat');
  const runs: string[] = [];
  const logic = async (context: TurnContext) => {
    runs.push(context.activity.id ?? '');
    const next = (await step.get(context, 0)) + 1;
    await step.set(context, next);
    const csat = await answers.get(context, []);
    await answers.set(context, [...csat, Number(context.activity.text)]);
    await context.sendActivity(`étape ${next}, réponses ${csat.length + 1}`);
  };
  const conversationId = `conversation-${randomUUID()}`;
  const activity = customerMessage('in-1', '5', {
    conversation: { id: conversationId } as Activity['conversation'],
  });
  return {
    storage,
    state,
    logic,
    runs,
    activity,
    userKey: 'test/users/test:user-1',
    conversationKey: `test/conversations/${conversationId}`,
  };
}

describe('a queued turn whose save a killed process cut between two Redis Cluster slots', () => {
  it('runs again with everything it learnt, since the part holding the outbox is written last', async () => {
    const { storage, state, logic, activity, userKey, conversationKey } = await surveyTurn();
    // The first process dies as it writes the member's slot: that part never lands.
    const cutReached = dieAtScriptOn('/users/');
    const dying = new CollectingAdapter({ pipeline: [state] });
    void dying.processActivity(activity, logic, { id: 'in-1', attempt: 1 });
    await cutReached;
    // Another process takes the entry over.
    const other = new CollectingAdapter({ pipeline: [state] });
    await other.processActivity(activity, logic, { id: 'in-1', attempt: 2 });

    expect(other.sent.map((reply) => reply.text)).toEqual(['étape 1, réponses 1']);
    const saved = await storage.read([userKey, conversationKey]);
    expect(saved[userKey]).toMatchObject({ csat: [5] });
    expect(saved[conversationKey]).toMatchObject({ step: 1, turnOutbox: { id: 'in-1' } });
  });

  it("applies the turn's member changes once when the member's part landed and the conversation's did not", async () => {
    const { storage, state, logic, runs, activity, userKey, conversationKey } = await surveyTurn();
    const cutReached = dieAtScriptOn('/conversations/');
    const dying = new CollectingAdapter({ pipeline: [state] });
    void dying.processActivity(activity, logic, { id: 'in-1', attempt: 1 });
    await cutReached;
    // The cut left the member's survey a step ahead of the conversation's dialog.
    const left = await storage.read([userKey, conversationKey]);
    expect(left).toEqual({ [userKey]: expect.objectContaining({ csat: [5] }) });

    const other = new CollectingAdapter({ pipeline: [state] });
    await other.processActivity(activity, logic, { id: 'in-1', attempt: 2 });

    expect(runs).toEqual(['in-1', 'in-1']);
    expect([...dying.sent, ...other.sent].map((reply) => reply.text)).toEqual(['étape 1, réponses 1']);
    const saved = await storage.read([userKey, conversationKey]);
    expect(saved[userKey]).toMatchObject({ csat: [5] });
    expect(saved[conversationKey]).toMatchObject({ step: 1, turnOutbox: { id: 'in-1' } });
    // The next turn goes on from there, with nothing of the cut left over.
    await other.processActivity({ ...activity, id: 'in-2', text: '4' }, logic, { id: 'in-2', attempt: 1 });
    expect(other.sent.map((reply) => reply.text)).toEqual(['étape 1, réponses 1', 'étape 2, réponses 2']);
    expect((await storage.read([userKey]))[userKey]).toMatchObject({ csat: [5, 4] });
  });

  it('starts again from the state before the cut when its run again meets a conflict too', async () => {
    const { storage, state, logic, activity, userKey, conversationKey } = await cutSurveyTurn();
    // During the run again, a turn outside the queue (an invoke) saves the conversation: the save of
    // the run again writes the member's part, meets the conflict on the conversation's and undoes it.
    let invoked = false;
    const other = new CollectingAdapter({ pipeline: [state] });
    await other.processActivity(
      activity,
      async (context) => {
        if (!invoked) {
          invoked = true;
          await storage.write({ [conversationKey]: { invoked: true } });
        }
        await logic(context);
      },
      { id: 'in-1', attempt: 2 },
    );

    expect(other.sent.map((reply) => reply.text)).toEqual(['étape 1, réponses 1']);
    const saved = await storage.read([userKey, conversationKey]);
    expect(saved[userKey]).toMatchObject({ csat: [5] });
    expect(saved[conversationKey]).toMatchObject({ invoked: true, step: 1, turnOutbox: { id: 'in-1' } });
  });

  it('puts the member back as it was when its run again changes nothing of it', async () => {
    const { storage, state, activity, userKey, conversationKey } = await surveyTurn();
    const offer = state.userProperty<string>('offerShown');
    const step = state.conversationProperty<number>('step');
    // The first run shows the offer of the day; past midnight, when it runs again, there is none.
    const logic = (offerOfTheDay: string | undefined) => async (context: TurnContext) => {
      await step.set(context, 1);
      if (offerOfTheDay) await offer.set(context, offerOfTheDay);
      await context.sendActivity(offerOfTheDay ?? 'no offer today');
    };
    const cutReached = dieAtScriptOn('/conversations/');
    void new CollectingAdapter({ pipeline: [state] }).processActivity(activity, logic('spring-10'), {
      id: 'in-1',
      attempt: 1,
    });
    await cutReached;
    RedisScript.prototype.run = run;
    const other = new CollectingAdapter({ pipeline: [state] });
    await other.processActivity(activity, logic(undefined), { id: 'in-1', attempt: 2 });

    expect(other.sent.map((reply) => reply.text)).toEqual(['no offer today']);
    const saved = await storage.read([userKey, conversationKey]);
    expect(saved[userKey]).not.toHaveProperty('offerShown');
    expect(saved[conversationKey]).toMatchObject({ step: 1, turnOutbox: { id: 'in-1' } });
  });

  it("keeps what another conversation's turn wrote to the member between the cut and the run again", async () => {
    const { storage, state, logic, activity, userKey, conversationKey } = await cutSurveyTurn();
    // The member's other conversation (another channel's, say) saves a turn in another process.
    const elsewhere = new CollectingAdapter({ pipeline: [state] });
    const linked = state.userProperty<string>('linkedOrder');
    await elsewhere.processActivity(
      customerMessage('in-b', 'order 42', {
        conversation: { id: `elsewhere-${randomUUID()}` } as Activity['conversation'],
      }),
      async (context) => {
        await linked.set(context, '42');
        await context.sendActivity('noted');
      },
      { id: 'in-b', attempt: 1 },
    );
    const other = new CollectingAdapter({ pipeline: [state] });
    await other.processActivity(activity, logic, { id: 'in-1', attempt: 2 });

    expect(other.sent.map((reply) => reply.text)).toEqual(['étape 1, réponses 2']);
    const saved = await storage.read([userKey, conversationKey]);
    // The one case left: the cut run's answer stays and the run again adds it a second time.
    expect(saved[userKey]).toMatchObject({ linkedOrder: '42', csat: [5, 5] });
    expect(saved[conversationKey]).toMatchObject({ step: 1, turnOutbox: { id: 'in-1' } });
  });

  it('applies the member changes of an invoke run in its request once when its retry follows such a cut', async () => {
    const { storage, state, logic, activity, userKey, conversationKey } = await surveyTurn();
    // The dedupe stage's claim, as on a Bot Framework invoke or `expectReplies` message.
    const claim: Middleware = {
      onTurn: async (context, next) => {
        context.turnState.set(TurnStateKey.claimed, { id: context.activity.id, answerTtlMs: 60_000 });
        await next();
      },
    };
    const cutReached = dieAtScriptOn('/conversations/');
    void new CollectingAdapter({ pipeline: [claim, state] }).processActivity(activity, logic);
    await cutReached;
    RedisScript.prototype.run = run;
    const retry = new CollectingAdapter({ pipeline: [claim, state] });
    await retry.processActivity(activity, logic);

    expect(retry.sent.map((reply) => reply.text)).toEqual(['étape 1, réponses 1']);
    const saved = await storage.read([userKey, conversationKey]);
    expect(saved[userKey]).toMatchObject({ csat: [5] });
    expect(saved[conversationKey]).toMatchObject({ step: 1 });
  });

  it('does not start a turn of another conversation with the same activity id from before the cut', async () => {
    const { state, logic, activity } = await cutSurveyTurn();
    // Activity ids are unique within a conversation only: the member's other conversation has one too.
    const elsewhere = new CollectingAdapter({ pipeline: [state] });
    const conversation = { id: `elsewhere-${randomUUID()}` } as Activity['conversation'];
    await elsewhere.processActivity({ ...activity, conversation }, logic, { id: 'in-1', attempt: 1 });

    expect(elsewhere.sent.map((reply) => reply.text)).toEqual(['étape 1, réponses 2']);
  });

  it('reads an item back for the cut turn only, until it is written again or erased', async () => {
    const storage = new RedisStorage(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` });
    const [member, conversation] = ['members/m-cut/state', 'webchat/conversations/c-cut'];
    await storage.write({ [member]: { visits: 1 } });
    const before = await storage.read([member]);
    const cutReached = dieAtScriptOn('/conversations/');
    void storage.write(
      { [member]: { ...before[member], visits: 2 }, [conversation]: { turnOutbox: { id: 'in-9' } } },
      { turn: { id: 'in-9', keys: [member] } },
    );
    await cutReached;
    RedisScript.prototype.run = run;

    const current = (await storage.read([member]))[member];
    const restored = (await storage.read([member], { turn: 'in-9' }))[member];
    expect(current).toMatchObject({ visits: 2 });
    expect(restored).toEqual({ visits: 1, eTag: current?.eTag });
    expect([restoredBeforeTurn(restored), restoredBeforeTurn(current)]).toEqual([true, false]);
    expect((await storage.read([member], { turn: 'in-10' }))[member]).toEqual(current);

    await storage.write({ [member]: { visits: 3 } });
    expect((await storage.read([member], { turn: 'in-9' }))[member]).toMatchObject({ visits: 3 });
    await storage.delete([member]);
    expect(await storage.read([member], { turn: 'in-9' })).toEqual({});
  });
});

describe("a cut save's pending record in a member's hash on a Redis Cluster", () => {
  const [member, conversation] = ['members/m-rec/state', 'webchat/conversations/c-rec'];

  /** A storage of its own whose member (visits 1) a save of turn T cut after the member's part. */
  async function cutAtVisits2() {
    const client = await redis.connect();
    const storage = new RedisStorage(client, { prefix: `${redis.prefix}-${randomUUID()}` });
    await storage.write({ [member]: { visits: 1 } });
    const cutReached = dieAtScriptOn('/conversations/');
    void storage.write(
      { [member]: { visits: 2 }, [conversation]: { step: 1 } },
      { turn: { id: 'T', keys: [member] } },
    );
    await cutReached;
    RedisScript.prototype.run = run;
    const redisKey = (storage as unknown as { redisKey(key: string): string }).redisKey(member);
    return { client, storage, redisKey };
  }

  it('does not roll back a write of the member by a writer that leaves the record in place', async () => {
    const { client, storage, redisKey } = await cutAtVisits2();
    // The previous release's single-slot script during a rolling deploy (or a repair script): HSET e d.
    await client.hSet(redisKey, {
      e: 'old-release-etag',
      d: JSON.stringify({ visits: 2, email: 'new@example.com' }),
    });

    const read = (await storage.read([member], { turn: 'T' }))[member];
    expect(read).toEqual({ visits: 2, email: 'new@example.com', eTag: 'old-release-etag' });
    expect(restoredBeforeTurn(read)).toBe(false);
  });

  it('does not roll a write back on the next run of a turn cut again after that write', async () => {
    const { client, storage, redisKey } = await cutAtVisits2();
    // A writer that leaves the record in place (an older release, a repair script) changes the member.
    await client.hSet(redisKey, {
      e: 'old-release-etag',
      d: JSON.stringify({ visits: 2, email: 'new@example.com' }),
    });
    const second = (await storage.read([member], { turn: 'T' }))[member];
    expect(second).toMatchObject({ email: 'new@example.com' });
    const cutAgain = dieAtScriptOn('/conversations/');
    void storage.write(
      { [member]: { ...second, visits: 3 }, [conversation]: { step: 1 } },
      { turn: { id: 'T', keys: [member] } },
    );
    await cutAgain;
    RedisScript.prototype.run = run;
    expect((await storage.read([member], { turn: 'T' }))[member]).toMatchObject({
      email: 'new@example.com',
      visits: 2,
    });
  });

  it("keeps a cut turn's record when another turn's save over the member is undone on a conflict", async () => {
    const { storage } = await cutAtVisits2();
    const save = storage.write(
      { [member]: { visits: 3 }, [conversation]: { step: 2, eTag: 'stale' } },
      { turn: { id: 'U', keys: [member] } },
    );
    await expect(save).rejects.toMatchObject({ code: 'RELEVO_STORAGE_CONFLICT' });

    expect((await storage.read([member]))[member]).toMatchObject({ visits: 2 });
    expect((await storage.read([member], { turn: 'T' }))[member]).toMatchObject({ visits: 1 });
  });

  it('a run cut twice still starts from before the first cut', async () => {
    const { storage } = await cutAtVisits2();
    const first = (await storage.read([member], { turn: 'T' }))[member];
    expect(first).toMatchObject({ visits: 1 });
    const cutAgain = dieAtScriptOn('/conversations/');
    void storage.write(
      { [member]: { ...first, visits: 2 }, [conversation]: { step: 1 } },
      { turn: { id: 'T', keys: [member] } },
    );
    await cutAgain;
    RedisScript.prototype.run = run;

    expect((await storage.read([member]))[member]).toMatchObject({ visits: 2 });
    expect((await storage.read([member], { turn: 'T' }))[member]).toMatchObject({ visits: 1 });
  });

  it('drops the record when a turn outside the queue saves the member across slots', async () => {
    const { client, storage, redisKey } = await cutAtVisits2();
    // A proactive turn (no run id) writes the member and the conversation.
    await storage.write({ [member]: { visits: 2, email: 'new@example.com' }, [conversation]: { step: 5 } });

    expect((await storage.read([member], { turn: 'T' }))[member]).toMatchObject({ email: 'new@example.com' });
    // Nor does the value from before the cut stay in Redis.
    expect(Object.keys(await client.hGetAll(redisKey)).sort()).toEqual(['d', 'e']);
  });

  it("gives an undone part's item its time to live back", async () => {
    const client = await redis.connect();
    const storage = new RedisStorage(client, { prefix: `${redis.prefix}-${randomUUID()}` });
    await storage.write({ [member]: { visits: 1 } }, { ttlMs: 600_000 });
    const redisKey = (storage as unknown as { redisKey(key: string): string }).redisKey(member);
    // A save without a time to live whose conversation's part meets a conflict.
    const save = storage.write({ [member]: { visits: 2 }, [conversation]: { step: 1, eTag: 'stale' } });
    await expect(save).rejects.toMatchObject({ code: 'RELEVO_STORAGE_CONFLICT' });

    expect((await storage.read([member]))[member]).toMatchObject({ visits: 1 });
    expect(await client.pTTL(redisKey)).toBeGreaterThan(500_000);
  });
});
