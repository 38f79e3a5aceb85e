import { describe, expect, inject, it } from 'vitest';
import type { Stores, StoresOptions } from '../../../storage/stores.js';
import { emulatorActivity, postActivity } from '../../support/invoke-agent.js';
import { ANA, cutTurn, texts, useInvokeFixtures } from '../../support/invoke-fixtures.js';

const { storesOn, agentOn } = useInvokeFixtures('side');

/** The turn whose state save contains `marker` dies once right after its save landed. */
const cutAfterSave = (stores: Stores, marker: string) => cutTurn(stores, marker, 'after');

const expectReplies = (id: string, conversationId: string, text: string) =>
  emulatorActivity(id, conversationId, {
    type: 'message',
    name: undefined,
    text,
    deliveryMode: 'expectReplies',
  });

const backends: [string, () => StoresOptions][] = [
  ['one Redis', () => ({ redisUrl: inject('redisUrl') })],
  ['memory', () => ({})],
];

describe.each(backends)(
  'a Bot Framework turn run in its request whose side work failed (%s)',
  (_, backend) => {
    it('logs the reply of an expectReplies message whose points award failed once in the transcript, not again on the retry', async () => {
      const stores = await storesOn(backend());
      const agent = await agentOn(stores, { failFirstAward: true });
      const asked = expectReplies('msg-1', 'conv-1', 'hello');
      expect((await postActivity(agent.base, asked)).status).toBe(500);
      const retried = await postActivity(agent.base, asked);
      expect(retried.status).toBe(200);
      expect(texts(retried.body)).toEqual(['count 1: hello']);
      const page = await stores.transcripts.getTranscriptActivities('emulator', 'conv-1');
      expect(page.items.map((a) => `${a.from?.id}: ${a.text}`)).toEqual([
        `${ANA}: hello`,
        'bot: count 1: hello',
      ]);
      // The message's points and its win, paid by the retry.
      expect((await agent.points(ANA)).sort((a, b) => a - b)).toEqual([5, 10]);
    });

    it('fails an invoke whose points award keeps failing on every retry until the ledger is back, then answers and pays once', async () => {
      const stores = await storesOn(backend());
      const agent = await agentOn(stores, { failAwards: 3 });
      const invoke = emulatorActivity('inv-2', 'conv-2');
      const statuses: number[] = [];
      for (let delivery = 0; delivery < 3; delivery++) {
        const failed = await postActivity(agent.base, invoke);
        statuses.push(failed.status);
        expect(failed.body).toMatchObject({ code: 'RELEVO_TURN_INCOMPLETE' });
      }
      expect(statuses).toEqual([500, 500, 500]);
      for (let retry = 0; retry < 2; retry++) {
        expect(await postActivity(agent.base, invoke)).toEqual({ status: 200, body: { count: 1, run: 1 } });
      }
      // The bot ran once; the replays did the award again until it landed, once.
      expect(agent.runs).toEqual(['inv-2']);
      expect(await agent.count('conv-2')).toBe(1);
      expect((await agent.points(ANA)).length).toBe(1);
    });

    it('logs the reply of an expectReplies message cut after its save when its replay is the first to log it and that write fails once', async () => {
      const stores = await storesOn(backend());
      cutAfterSave(stores, '"count":1');
      // The transcript store refuses the first write of the bot's reply, whichever call makes it.
      let failOnce = true;
      const refuseReply = (activities: { text?: string }[]) => {
        if (!failOnce || !activities.some((activity) => activity.text === 'count 1: hello')) return;
        failOnce = false;
        throw new Error('transcript store unreachable');
      };
      const transcripts = stores.transcripts as typeof stores.transcripts & {
        logActivities?: (activities: { text?: string }[]) => Promise<void>;
      };
      const logActivity = transcripts.logActivity.bind(transcripts);
      transcripts.logActivity = async (activity) => {
        refuseReply([activity]);
        return logActivity(activity);
      };
      const logActivities = transcripts.logActivities?.bind(transcripts);
      if (logActivities) {
        transcripts.logActivities = async (activities) => {
          refuseReply(activities);
          return logActivities(activities);
        };
      }
      const agent = await agentOn(stores);
      const asked = expectReplies('msg-3', 'conv-3', 'hello');
      const statuses: number[] = [];
      for (let delivery = 0; delivery < 3; delivery++)
        statuses.push((await postActivity(agent.base, asked)).status);
      // The run dies after its save; its replay's transcript write fails (its first try): 500; the
      // next replay logs the reply.
      expect(statuses).toEqual([500, 500, 200]);
      const page = await stores.transcripts.getTranscriptActivities('emulator', 'conv-3');
      expect(page.items.map((a) => `${a.from?.id}: ${a.text}`)).toEqual([
        `${ANA}: hello`,
        'bot: count 1: hello',
      ]);
    });

    it('answers the retry of an expectReplies message cut after its save at the rate limit with its saved reply, not the notice', async () => {
      const stores = await storesOn(backend());
      cutAfterSave(stores, '"count":1');
      const agent = await agentOn(stores, { rateLimit: 1 });
      const asked = expectReplies('msg-3', 'conv-3', 'hello');
      expect((await postActivity(agent.base, asked)).status).toBe(500);
      for (let retry = 0; retry < 2; retry++) {
        const retried = await postActivity(agent.base, asked);
        expect(retried.status).toBe(200);
        expect(texts(retried.body)).toEqual(['count 1: hello']);
      }
      // The next message is the customer's second of the minute: over the limit, told so.
      const next = await postActivity(agent.base, expectReplies('msg-4', 'conv-3', 'again'));
      expect(texts(next.body)).toEqual([expect.stringContaining('faster than I can answer')]);
      expect(await agent.count('conv-3')).toBe(1);
    });

    it('does not keep an invoke answer over 64 KiB of UTF-8 though it has fewer characters: its retry after a cut gets 409', async () => {
      const stores = await storesOn(backend());
      cutAfterSave(stores, '"count":1');
      const agent = await agentOn(stores);
      // 40,000 characters, 80,000 bytes in UTF-8.
      const invoke = emulatorActivity('inv-5', 'conv-5', { value: { pad: { card: 'é'.repeat(40_000) } } });
      expect((await postActivity(agent.base, invoke)).status).toBe(500);
      const retried = await postActivity(agent.base, invoke);
      expect(retried.status).toBe(409);
      expect(retried.body).toMatchObject({ code: 'RELEVO_ACTIVITY_ANSWER_EXPIRED' });
      expect(agent.runs).toEqual(['inv-5']);
      expect(await agent.count('conv-5')).toBe(1);
    });
  },
);
