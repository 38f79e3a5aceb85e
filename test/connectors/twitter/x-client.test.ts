import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XClient } from '../../../connectors/twitter/client.js';
import { RelevoError } from '../../../core/errors.js';
import { type FakeX, startFakeX } from '../../support/fake-x.js';

let fake: FakeX;

beforeAll(async () => {
  fake = await startFakeX(OURS);
});
afterAll(async () => {
  await fake.close();
});

const OURS = '100';

/** A client on the fake X whose clock stands at `nowMs`, waiting with `sleep`. */
function client(nowMs: number, sleep: (ms: number) => Promise<void>): XClient {
  return new XClient({
    consumerKey: 'ck',
    consumerSecret: 'cs',
    accessToken: 'at',
    accessSecret: 'as',
    apiUrl: fake.url,
    httpsAgent: fake.agent,
    clock: { now: () => nowMs },
    sleep,
  });
}

/** A sleep that returns at once and notes each wait in `slept`. */
const noting =
  (slept: number[]) =>
  async (ms: number): Promise<void> => {
    slept.push(ms);
  };

describe('the X client', () => {
  it('gives up with RELEVO_X_RATE_LIMITED when the window resets further away than it may wait', async () => {
    const nowMs = 1_800_000_000_000;
    const slept: number[] = [];
    fake.rateLimit('/2/dm_conversations/', 1, nowMs / 1000 + 3600);
    await expect(client(nowMs, noting(slept)).sendDm('200', 'hello')).rejects.toMatchObject({
      code: 'RELEVO_X_RATE_LIMITED',
      statusCode: 503,
    });
    expect(slept).toEqual([]);
  });

  it("sends nothing for a run whose signal aborted while its DM waited, behind another's rate limit or its own", async () => {
    const nowMs = 1_800_000_000_000;
    const waits: (() => void)[] = [];
    // Waits for the window's reset (10 minutes) until the test ends it.
    const x = client(nowMs, () => new Promise<void>((resolve) => waits.push(resolve)));
    const lost = () => new RelevoError('RELEVO_TURN_LOCK_LOST', 'another process runs this turn now');
    const attemptsTo = (to: string) =>
      fake.calls.filter((call) => call.method === 'POST' && call.path.includes(`/with/${to}/`)).length;

    fake.rateLimit('/2/dm_conversations/', 1, nowMs / 1000 + 600);
    const first = x.sendDm('601', 'first');
    const behindRun = new AbortController();
    const behind = x.sendDm('602', 'behind it', behindRun.signal);
    await expect.poll(() => waits.length).toBe(1);
    behindRun.abort(lost());
    await expect(behind).rejects.toMatchObject({ code: 'RELEVO_TURN_LOCK_LOST' });
    waits[0]?.();
    await expect(first).resolves.toMatch(/^\d+$/);

    fake.rateLimit('/2/dm_conversations/', 1, nowMs / 1000 + 600);
    const ownRun = new AbortController();
    const own = x.sendDm('603', 'rate limited', ownRun.signal);
    await expect.poll(() => waits.length).toBe(2);
    ownRun.abort(lost());
    await expect(own).rejects.toMatchObject({ code: 'RELEVO_TURN_LOCK_LOST' });
    waits[1]?.();
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(fake.dms().filter((dm) => ['601', '602', '603'].includes(dm.to))).toEqual([
      { to: '601', text: 'first' },
    ]);
    expect([attemptsTo('601'), attemptsTo('602'), attemptsTo('603')]).toEqual([2, 0, 1]);
  });

  it("rejects with X's status when X refuses a DM, and resolves with the DM event id when it accepts", async () => {
    const x = client(Date.now(), noting([]));
    await expect(x.reply('900', 'hi')).resolves.toMatch(/^\d+$/);
    await expect(x.sendDm('200', 'hello')).resolves.toMatch(/^\d+$/);
    fake.refuseDmsTo('300');
    await expect(x.sendDm('300', 'hello')).rejects.toMatchObject({
      code: 'RELEVO_X_API',
      statusCode: 502,
      details: { status: 403 },
    });
  });

  it('reads our DMs back to the message they answer, over two pages, and says when it read them all', async () => {
    const x = client(Date.now(), noting([]));
    const notedIn = ({ events }: { events: { id: string; text?: string }[] }) =>
      events.filter((event) => event.text === 'Noted.').map((event) => event.id);
    fake.keepDm('400', OURS, 'Noted.');
    const asked = fake.keepDm('400', '400', 'my address changed');
    const noted = fake.keepDm('400', OURS, 'Noted.');
    for (let i = 0; i < 120; i++) fake.keepDm('400', OURS, `later ${i}`);
    fake.calls.length = 0;

    const read = await x.findDmEvents('400', asked);
    // The "Noted." older than the customer's message answered another one.
    expect(notedIn(read)).toEqual([noted]);
    expect(read.complete).toBe(true);
    expect(fake.calls.map((call) => [call.status, call.query.pagination_token !== undefined])).toEqual([
      [200, false],
      [200, true],
    ]);
    for (let i = 0; i < 100; i++) fake.keepDm('400', OURS, `even later ${i}`);
    // Two pages no longer reach the message: what they hold is not all there is.
    expect((await x.findDmEvents('400', asked)).complete).toBe(false);
  });

  it('finds our reply to a post among our newer posts', async () => {
    const x = client(Date.now(), noting([]));
    const post = fake.customerPost('500', 'where is my order?');
    const other = fake.customerPost('500', 'hello?');
    const replyToOther = await x.reply(other, 'Thanks for reaching out.');
    const reply = await x.reply(post, 'Thanks for reaching out.');
    const repliesTo = (id: string) => (tweet: { referenced_tweets?: { type: string; id: string }[] }) =>
      (tweet.referenced_tweets ?? []).some((ref) => ref.type === 'replied_to' && ref.id === id);

    await expect(x.findPost(OURS, post, repliesTo(post))).resolves.toBe(reply);
    await expect(x.findPost(OURS, post, repliesTo(other))).resolves.toBe(replyToOther);
    await expect(x.findPost(OURS, reply, repliesTo(post))).resolves.toBeUndefined();
  });
});
