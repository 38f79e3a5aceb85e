import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dmEventBody, type FakeX, signedXRequest, startFakeX } from '../../support/fake-x.js';
import { type RelevoProcess, spawnRelevo } from '../../support/spawn-relevo.js';

const OUR_ID = '1000000000000000001';
const ANA = '2000000000000000002';
const SECRET = 'x-consumer-secret-for-the-process';

let fake: FakeX;
let relevo: RelevoProcess;
let base: string;

beforeAll(async () => {
  fake = await startFakeX(OUR_ID);
  // The real server, configured only through its environment; it trusts the fake X's certificate the
  // way an on-premise proxy's would be trusted: NODE_EXTRA_CA_CERTS.
  relevo = spawnRelevo({
    PORT: '0',
    HOST: '127.0.0.1',
    X_CONSUMER_KEY: 'ck',
    X_CONSUMER_SECRET: SECRET,
    X_ACCESS_TOKEN: 'at',
    X_ACCESS_SECRET: 'as',
    X_USER_ID: OUR_ID,
    X_API_URL: fake.url,
    NODE_EXTRA_CA_CERTS: fake.caPath,
  });
  base = `http://127.0.0.1:${await relevo.listening()}`;
});

afterAll(async () => {
  relevo?.child.kill('SIGTERM');
  await relevo?.exited();
  await fake?.close();
});

describe('the X channel in the server process', () => {
  it('is on when X_* is set, and the Relevo agent answers a DM by DM through X_API_URL', async () => {
    const health = (await (await fetch(`${base}/healthz`)).json()) as { channels: Record<string, unknown> };
    expect(health.channels.x).toEqual({ status: 'on', detail: `account ${OUR_ID}` });
    const body = dmEventBody({
      forUserId: OUR_ID,
      eventId: '1700000000000009001',
      senderId: ANA,
      recipientId: OUR_ID,
      text: 'hello',
    });
    expect((await fetch(`${base}/twitter/webhook`, signedXRequest(SECRET, body))).status).toBe(200);
    await fake.waitFor(() => fake.dms().length === 1, 10_000);
    // Exact bodies are pinned in twitter-channel.test.ts; here the agent's wording is the agent's
    // business (its dialogs change), so only where the answer went and its numbered options are checked.
    expect(fake.dms()).toEqual([{ to: ANA, text: expect.stringMatching(/\S[\s\S]*\n\n1\. .+\n2\. /) }]);
  });
});
