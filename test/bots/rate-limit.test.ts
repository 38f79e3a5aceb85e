import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../bots/config.js';
import { createRelevo, type Relevo } from '../../bots/relevo.js';
import { silentLogger } from '../../core/logger.js';

let relevo: Relevo;
let base: string;

beforeAll(async () => {
  relevo = await createRelevo({
    config: loadConfig({ PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '2' }),
    logger: silentLogger,
    bot: async (context) => {
      if (context.activity.type === 'message') await context.sendActivity(`echo: ${context.activity.text}`);
    },
  });
  base = `http://127.0.0.1:${(await relevo.listen()).port}/v3/directline`;
});
afterAll(() => relevo?.close());

describe('RATE_LIMIT_PER_MINUTE on the composed server', () => {
  it('answers a web chat customer over the limit once, politely, and drops the rest', async () => {
    const started = await fetch(`${base}/conversations`, { method: 'POST' });
    const { conversationId, token } = (await started.json()) as { conversationId: string; token: string };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (const text of ['one', 'two', 'three', 'four']) {
      const posted = await fetch(`${base}/conversations/${conversationId}/activities`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ type: 'message', text, from: { id: 'me' } }),
      });
      expect(posted.status).toBe(200);
    }
    const read = await fetch(`${base}/conversations/${conversationId}/activities`, { headers });
    const { activities } = (await read.json()) as {
      activities: { from: { role?: string }; text?: string }[];
    };
    // The handoff policy may also speak up (the echo bot understands nothing); the limit's part is this:
    const replies = activities.filter((a) => a.from.role !== 'user').map((a) => a.text);
    expect(replies.filter((text) => text?.startsWith('echo:'))).toEqual(['echo: one', 'echo: two']);
    expect(replies.filter((text) => text?.startsWith('You are sending messages faster'))).toHaveLength(1);
    // The dropped messages left no trace: the transcript has the two answered ones only.
    const transcript = await relevo.stores.transcripts.getTranscriptActivities('webchat', conversationId);
    const customer = transcript.items.filter((activity) => activity.from?.role === 'user');
    expect(customer.map((activity) => activity.text)).toEqual(['one', 'two']);
  });

  it('refuses a limit that is not a whole number from 0 to 10000 at start', () => {
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: 'lots' })).toThrow(
      'Invalid configuration: RATE_LIMIT_PER_MINUTE must be a whole number of messages from 0 (off) to 10000 (got "lots")',
    );
    expect(() => loadConfig({ MAX_BODY_BYTES: '10' })).toThrow(
      'Invalid configuration: MAX_BODY_BYTES must be a whole number of bytes from 1024 to 10485760 (got "10")',
    );
  });
});
