import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../bots/config.js';
import { createRelevo, type Relevo } from '../../bots/relevo.js';
import { silentLogger } from '../../core/logger.js';
import { hashAgentPassword } from '../../handoff/index.js';

const TOKEN = 'handoff-profile-token-0123456789';

describe('the handoff seen from the agent desk of the running agent', () => {
  let relevo: Relevo;
  let base: string;

  beforeAll(async () => {
    const accounts = [
      { id: 'sam', name: 'Sam', role: 'agent', passwordHash: await hashAgentPassword('pw', { N: 1024 }) },
    ];
    relevo = await createRelevo({
      config: loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        RELEVO_API_TOKEN: TOKEN,
        AGENT_ACCOUNTS: JSON.stringify(accounts),
      }),
      logger: silentLogger,
    });
    base = `http://127.0.0.1:${(await relevo.listen()).port}`;
  });
  afterAll(() => relevo?.close());

  it('hands an angry web chat customer over with the reason, the transcript, the identity key and their points', async () => {
    const grant = (await (await fetch(`${base}/v3/directline/conversations`, { method: 'POST' })).json()) as {
      conversationId: string;
      token: string;
    };
    const say = (text: string) =>
      fetch(`${base}/v3/directline/conversations/${grant.conversationId}/activities`, {
        method: 'POST',
        headers: { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'message', text, locale: 'en-US' }),
      });
    await say('where is my order ORD-100002');
    await say('my package never arrived and nobody answers, this is terrible service');

    const desk = { authorization: `Bearer ${TOKEN}`, 'x-relevo-agent': 'sam' };
    type Listed = { id: string; reason: { trigger: string }; identityKeys: string[] };
    const pending = (await (await fetch(`${base}/api/handoffs?status=pending`, { headers: desk })).json()) as
      | Listed[]
      | { handoffs: Listed[] };
    const list = Array.isArray(pending) ? pending : pending.handoffs;
    expect(list).toHaveLength(1);
    const [handoff] = list;
    expect(handoff?.reason.trigger).toBe('negative-sentiment');
    expect(handoff?.identityKeys[0]).toMatch(/^webchat:anon-/);

    const detail = (await (await fetch(`${base}/api/handoffs/${handoff?.id}`, { headers: desk })).json()) as {
      packet: {
        name: string;
        value: { member: { id: string } };
        attachments: { name: string; content: { activities: { text?: string }[] } }[];
      };
      profile: { loyalty?: { points: number; tier: string } };
    };
    expect(detail.packet.name).toBe('handoff.initiate');
    const transcript =
      detail.packet.attachments.find((a) => a.name === 'Transcript')?.content.activities ?? [];
    expect(transcript.map((a) => a.text)).toContain('where is my order ORD-100002');
    expect(detail.profile.loyalty).toMatchObject({ tier: 'bronze' });
    expect(detail.profile.loyalty?.points).toBeGreaterThan(0);

    // The customer asks to be forgotten: the handoff (their keys, name and transcript) goes too.
    const erased = await fetch(`${base}/api/members/${detail.packet.value.member.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ actor: 'privacy-team', reason: 'customer request' }),
    });
    expect(erased.status).toBe(200);
    expect((await fetch(`${base}/api/handoffs/${handoff?.id}`, { headers: desk })).status).toBe(404);
  });
});
