import { setTimeout as sleep } from 'node:timers/promises';
import { AutoSaveStateMiddleware, ConversationState, MessageFactory, TestAdapter } from 'botbuilder';
import { DialogSet, WaterfallDialog } from '../../dialogs/botbuilder-dialogs.js';
import { TextPrompt } from '../../dialogs/prompt.js';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../../core/errors.js';
import { StorageConflictError, StorageErrorCode } from '../../storage/errors.js';
import { NEW_ITEM_ETAG } from '../../storage/keys.js';
import type { ExpiringStorage, StorageWriteOptions } from '../../storage/index.js';

/**
 * The botbuilder `Storage` contract, run against every implementation: the cases of botbuilder's own
 * storageBaseTests plus real optimistic concurrency. `create` returns a fresh, empty store.
 */
export function storageContract(name: string, create: () => Promise<ExpiringStorage>): void {
  describe(`${name} storage`, () => {
    it('returns nothing for keys it has never seen', async () => {
      const storage = await create();
      expect(await storage.read(['unknown'])).toEqual({});
    });

    it('rejects reads, writes and deletes without keys with a typed error', async () => {
      const storage = await create();
      for (const call of [
        () => storage.read(null as never),
        () => storage.write(null as never),
        () => storage.delete(undefined as never),
      ]) {
        await expect(call()).rejects.toSatisfy((error) => hasCode(error, StorageErrorCode.invalidArgument));
      }
    });

    it('accepts a write of no items', async () => {
      const storage = await create();
      await expect(storage.write({})).resolves.toBeUndefined();
      await expect(storage.write([] as never)).resolves.toBeUndefined();
    });

    it('creates items and gives each an eTag', async () => {
      const storage = await create();
      await storage.write({
        createPoco: { id: 1 },
        createPocoStoreItem: { id: 2, nested: { list: [1, 'two'] } },
      });
      const items = await storage.read(['createPoco', 'createPocoStoreItem']);
      expect(items.createPoco).toMatchObject({ id: 1 });
      expect(items.createPocoStoreItem).toMatchObject({ id: 2, nested: { list: [1, 'two'] } });
      expect(typeof items.createPoco.eTag).toBe('string');
      expect(items.createPoco.eTag).not.toBe(items.createPocoStoreItem.eTag);
    });

    it('stores items under any key: punctuation, spaces, slashes, unicode and 1 KB keys', async () => {
      const storage = await create();
      const keys = [
        '!@#$%^&*()~/\\><,.?\';"`~',
        'with spaces/and/slashes',
        'ünïcødé 会話 🎉',
        'k'.repeat(1024),
        '{tag}:x',
      ];
      await storage.write(Object.fromEntries(keys.map((key, i) => [key, { i }])));
      const items = await storage.read(keys);
      expect(keys.map((key) => items[key]?.i)).toEqual(keys.map((_, i) => i));
    });

    it('updates an item with its current eTag and mints a new eTag on every write', async () => {
      const storage = await create();
      await storage.write({ item: { count: 1 } });
      const first = (await storage.read(['item'])).item;
      await storage.write({ item: { ...first, count: 2 } });
      const second = (await storage.read(['item'])).item;
      expect(second.count).toBe(2);
      expect(second.eTag).not.toBe(first.eTag);
      await storage.write({ item: { count: 3 } });
      expect((await storage.read(['item'])).item.eTag).not.toBe(second.eTag);
    });

    it('rejects a write with a stale eTag with a conflict error and keeps the newer value', async () => {
      const storage = await create();
      await storage.write({ item: { count: 1 } });
      const stale = (await storage.read(['item'])).item;
      await storage.write({ item: { ...stale, count: 2 } });
      const error = await storage.write({ item: { ...stale, count: 99 } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageConflictError);
      expect(error).toMatchObject({ code: 'RELEVO_STORAGE_CONFLICT', key: 'item' });
      expect((await storage.read(['item'])).item.count).toBe(2);
    });

    it('overwrites whatever is stored when the eTag is "*" or absent', async () => {
      const storage = await create();
      await storage.write({ a: { count: 1 }, b: { count: 1 } });
      await storage.write({ a: { count: 2, eTag: '*' }, b: { count: 2 } });
      const items = await storage.read(['a', 'b']);
      expect([items.a.count, items.b.count]).toEqual([2, 2]);
    });

    it('rejects a write with an eTag for an item that was deleted meanwhile', async () => {
      const storage = await create();
      await storage.write({ gone: { count: 1 } });
      const read = (await storage.read(['gone'])).gone;
      await storage.delete(['gone']);
      await expect(storage.write({ gone: { ...read, count: 2 } })).rejects.toBeInstanceOf(
        StorageConflictError,
      );
      expect(await storage.read(['gone'])).toEqual({});
    });

    it('creates an item with the "#new" eTag only when nothing is stored under its key', async () => {
      const storage = await create();
      await storage.write({ fresh: { v: 1, eTag: NEW_ITEM_ETAG } });
      await expect(storage.write({ fresh: { v: 2, eTag: NEW_ITEM_ETAG } })).rejects.toBeInstanceOf(
        StorageConflictError,
      );
      expect((await storage.read(['fresh'])).fresh.v).toBe(1);
    });

    it('applies a batch write all-or-nothing when one eTag is stale', async () => {
      const storage = await create();
      await storage.write({ x: { v: 1 }, y: { v: 1 } });
      const { x, y } = await storage.read(['x', 'y']);
      await storage.write({ y: { ...y, v: 2 } });
      await expect(
        storage.write({ x: { ...x, v: 3 }, fresh: { v: 3 }, y: { ...y, v: 3 } }),
      ).rejects.toBeInstanceOf(StorageConflictError);
      const after = await storage.read(['x', 'y', 'fresh']);
      expect(after.x.v).toBe(1);
      expect(after.y.v).toBe(2);
      expect(after.fresh).toBeUndefined();
    });

    it('deletes items, and deleting unknown keys is not an error', async () => {
      const storage = await create();
      await storage.write({ batch1: { count: 10 }, batch2: { count: 20 }, batch3: { count: 30 } });
      await storage.delete(['batch1', 'batch2', 'unknown_key']);
      expect(Object.keys(await storage.read(['batch1', 'batch2', 'batch3']))).toEqual(['batch3']);
    });

    it('returns copies, so changing a read item does not change what is stored', async () => {
      const storage = await create();
      await storage.write({ item: { list: [1] } });
      const read = (await storage.read(['item'])).item;
      read.list.push(2);
      expect((await storage.read(['item'])).item.list).toEqual([1]);
    });

    it('rejects items that are not objects, and values JSON cannot hold, without writing anything', async () => {
      const storage = await create();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await expect(storage.write({ ok: { v: 1 }, text: 'plain' })).rejects.toSatisfy((error) =>
        hasCode(error, StorageErrorCode.invalidArgument),
      );
      await expect(storage.write({ ok: { v: 1 }, cyclic })).rejects.toSatisfy((error) =>
        hasCode(error, StorageErrorCode.unserializable),
      );
      expect(await storage.read(['ok'])).toEqual({});
    });

    it('lets exactly one of 50 concurrent writers with the same eTag win', async () => {
      const storage = await create();
      await storage.write({ counter: { value: 0 } });
      const read = (await storage.read(['counter'])).counter;
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => storage.write({ counter: { ...read, value: i + 1 } })),
      );
      const winners = results.filter((r) => r.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(losers.every((r) => r.reason instanceof StorageConflictError)).toBe(true);
      const winnerValue = results.findIndex((r) => r.status === 'fulfilled') + 1;
      expect((await storage.read(['counter'])).counter.value).toBe(winnerValue);
    });

    it('lets exactly one of 20 concurrent turns save its conversation and member state, both or neither', async () => {
      const storage = await create();
      // The keys of a turn's two documents: on a Redis Cluster they sit in different slots.
      const [conversation, member] = ['webchat/conversations/c-1', 'members/m-1/state'];
      await storage.write({ [conversation]: { turn: 0 }, [member]: { turn: 0 } });
      const read = await storage.read([conversation, member]);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          storage.write({
            [conversation]: { ...read[conversation], turn: i + 1 },
            [member]: { ...read[member], turn: i + 1 },
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const winner = results.findIndex((r) => r.status === 'fulfilled') + 1;
      const after = await storage.read([conversation, member]);
      expect([after[conversation]?.turn, after[member]?.turn]).toEqual([winner, winner]);
    });

    it('writes nothing of a batch over three documents when one of them is stale, whichever it is', async () => {
      const storage = await create();
      // On a Redis Cluster the three documents sit in three slots, and the conversation's goes last.
      const keys = ['members/m-3/state', 'analytics/session/s-3', 'webchat/conversations/c-3'];
      await storage.write(Object.fromEntries(keys.map((key) => [key, { turn: 0 }])));
      for (const stale of keys) {
        const read = await storage.read(keys);
        await storage.write({ [stale]: { ...read[stale], turn: -1 } });
        await expect(
          storage.write(Object.fromEntries(keys.map((key) => [key, { ...read[key], turn: 1 }]))),
        ).rejects.toBeInstanceOf(StorageConflictError);
        const after = await storage.read(keys);
        expect(keys.map((key) => after[key]?.turn)).toEqual(keys.map((key) => (key === stale ? -1 : 0)));
        await storage.write(Object.fromEntries(keys.map((key) => [key, { turn: 0 }])));
      }
    });

    it('deletes items written with a time to live once it passed, unless a later write kept them', async () => {
      const storage = await create();
      // On a Redis Cluster the two documents sit in different slots: each part of the batch expires.
      const [conversation, member] = ['webchat/conversations/c-ttl', 'members/m-ttl/state'];
      await storage.write({ [conversation]: { outbox: 1 }, [member]: { turn: 1 } }, { ttlMs: 200 });
      await storage.write({ [member]: { turn: 2 } });
      expect(Object.keys(await storage.read([conversation, member])).sort()).toEqual([member, conversation]);
      await sleep(400);
      const left = await storage.read([conversation, member]);
      expect(Object.keys(left)).toEqual([member]);
      expect(left[member]).toMatchObject({ turn: 2 });
      // An expired item is absent to a create-only write too.
      await expect(
        storage.write({ [conversation]: { outbox: 2, eTag: NEW_ITEM_ETAG } }),
      ).resolves.toBeUndefined();
    });

    it('deletes an item on time when a shorter time to live is written after longer ones', async () => {
      const storage = await create();
      await storage.write({ long: { v: 1 }, shortened: { v: 1 } }, { ttlMs: 60_000 });
      await storage.write({ short: { v: 2 } }, { ttlMs: 150 });
      await storage.write({ shortened: { v: 2 } }, { ttlMs: 150 });
      expect(Object.keys(await storage.read(['long', 'short', 'shortened'])).sort()).toEqual([
        'long',
        'short',
        'shortened',
      ]);
      await sleep(300);
      expect(Object.keys(await storage.read(['long', 'short', 'shortened']))).toEqual(['long']);
    });

    it('refuses a time to live that is not a positive whole number of ms with a typed error, writing nothing', async () => {
      const storage = await create();
      // On a Redis Cluster the two documents sit in different slots.
      const [conversation, member] = ['webchat/conversations/c-bad-ttl', 'members/m-bad-ttl/state'];
      await storage.write({ [member]: { turn: 1 } });
      const refused: StorageWriteOptions[] = [Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 1.5, 1e300].map(
        (ttlMs) => ({ ttlMs }),
      );
      for (const options of [...refused, { ttlMs: '60000' as never }]) {
        await expect(
          storage.write({ [conversation]: { outbox: 1 }, [member]: { turn: 2, eTag: '*' } }, options),
        ).rejects.toSatisfy((error) => hasCode(error, StorageErrorCode.invalidArgument));
      }
      const left = await storage.read([conversation, member]);
      expect(Object.keys(left)).toEqual([member]);
      expect(left[member]).toMatchObject({ turn: 1 });
    });

    it('keeps a botbuilder waterfall dialog going across turns through ConversationState', async () => {
      const state = new ConversationState(await create());
      const dialogs = new DialogSet(state.createProperty('dialogState'));
      dialogs.add(
        new TextPrompt('name', async (prompt) => {
          if ((prompt.recognized.value ?? '').length > 3) return true;
          await prompt.context.sendActivity(
            `Please send a name longer than 3 characters. ${prompt.attemptCount}`,
          );
          return false;
        }),
      );
      dialogs.add(
        new WaterfallDialog('waterfall', [
          async (step) => step.prompt('name', { prompt: MessageFactory.text('Please type your name.') }),
          async (step) => {
            await step.context.sendActivity(`Hello ${step.result}`);
            return step.endDialog();
          },
        ]),
      );
      const adapter = new TestAdapter(async (context) => {
        const dc = await dialogs.createContext(context);
        await dc.continueDialog();
        if (!context.responded) await dc.beginDialog('waterfall');
      }).use(new AutoSaveStateMiddleware(state));
      await adapter
        .send('hello')
        .assertReply('Please type your name.')
        .send('hi')
        .assertReply('Please send a name longer than 3 characters. 1')
        .send('Kyle')
        .assertReply('Hello Kyle')
        .startTest();
    });
  });
}
