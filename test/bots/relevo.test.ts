import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../bots/config.js';
import { createRelevo, type Relevo } from '../../bots/relevo.js';
import { silentLogger } from '../../core/logger.js';

let relevo: Relevo | undefined;

async function start(env: Record<string, string> = {}): Promise<string> {
  relevo = await createRelevo({
    config: loadConfig({ PORT: '0', HOST: '127.0.0.1', ...env }),
    logger: silentLogger,
    bot: async (context) => {
      await context.sendActivity(`echo: ${context.activity.text}`);
    },
  });
  const { port } = await relevo.listen();
  return `http://127.0.0.1:${port}`;
}

afterEach(async () => {
  await relevo?.close();
  relevo = undefined;
});

describe('the composed agent', () => {
  it('answers unknown routes with 404 and a JSON error code', async () => {
    const base = await start();
    const response = await fetch(`${base}/no/such/route`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'RELEVO_RESOURCE_NOT_FOUND' });
  });

  it('lets in-flight work finish before the stores close, and stops accepting connections', async () => {
    const base = await start();
    const current = relevo as Relevo;
    let finished = false;
    const turn = current.inFlight.run(async () => {
      await sleep(300);
      // The turn can still save its state: the stores are not closed under it.
      await current.stores.storage.write({ 'turn-state': { done: true } });
      finished = true;
    });
    const closed = current.close();
    await sleep(50);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    await closed;
    await turn;
    expect(finished).toBe(true);
  });

  it('gives up on work that outlives the shutdown timeout instead of hanging', async () => {
    await start({ SHUTDOWN_TIMEOUT_MS: '100' });
    const current = relevo as Relevo;
    void current.inFlight.run(() => sleep(5_000));
    const started = Date.now();
    await current.close();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
