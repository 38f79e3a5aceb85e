import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XClient } from '../../../connectors/twitter/client.js';
import { type FakeX, startFakeX } from '../../support/fake-x.js';

let fake: FakeX;

beforeAll(async () => {
  fake = await startFakeX('100');
});
afterAll(async () => {
  await fake.close();
});

function client(nowMs: number, slept: number[]): XClient {
  return new XClient({
    consumerKey: 'ck',
    consumerSecret: 'cs',
    accessToken: 'at',
    accessSecret: 'as',
    apiUrl: fake.url,
    httpsAgent: fake.agent,
    clock: { now: () => nowMs },
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
}

describe('the X client', () => {
  it('gives up with RELEVO_X_RATE_LIMITED when the window resets further away than it may wait', async () => {
    const nowMs = 1_800_000_000_000;
    const slept: number[] = [];
    fake.rateLimit('/2/dm_conversations/', 1, nowMs / 1000 + 3600);
    await expect(client(nowMs, slept).sendDm('200', 'hello')).rejects.toMatchObject({
      code: 'RELEVO_X_RATE_LIMITED',
      statusCode: 503,
    });
    expect(slept).toEqual([]);
  });

  it("rejects with X's status when X refuses a DM, and resolves with the DM event id when it accepts", async () => {
    const x = client(Date.now(), []);
    await expect(x.reply('900', 'hi')).resolves.toMatch(/^\d+$/);
    await expect(x.sendDm('200', 'hello')).resolves.toMatch(/^\d+$/);
    fake.refuseDmsTo('300');
    await expect(x.sendDm('300', 'hello')).rejects.toMatchObject({
      code: 'RELEVO_X_API',
      statusCode: 502,
      details: { status: 403 },
    });
  });
});
