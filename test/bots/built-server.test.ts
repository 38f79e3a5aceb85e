import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { spawnRelevo } from '../support/spawn-relevo.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm start', () => {
  it('builds, then serves the agent from dist/ with its data files, and stops cleanly', async () => {
    await promisify(execFile)('npm', ['run', 'build'], { cwd: root, timeout: 120_000 });
    const relevo = spawnRelevo({ PORT: '0' }, { built: true });
    const port = await relevo.listening();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await health.json()).toMatchObject({ status: 'ok', storage: 'memory' });
    // The agent answers, which needs the NLU corpora and loyalty configuration copied into dist/.
    const domain = `http://127.0.0.1:${port}/v3/directline`;
    const { conversationId, token } = (await (
      await fetch(`${domain}/conversations`, { method: 'POST' })
    ).json()) as {
      conversationId: string;
      token: string;
    };
    const posted = await fetch(`${domain}/conversations/${conversationId}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: 'where is my order ORD-100002', locale: 'en-US' }),
    });
    expect(posted.status).toBe(200);
    const { activities } = (await (
      await fetch(`${domain}/conversations/${conversationId}/activities`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { activities: { text?: string; from: { role: string } }[] };
    expect(
      activities.some((a) => a.from.role === 'bot' && a.text?.includes('has shipped with Correos Express')),
    ).toBe(true);
    relevo.child.kill('SIGTERM');
    expect(await relevo.exited()).toBe(0);
  }, 120_000);
});
