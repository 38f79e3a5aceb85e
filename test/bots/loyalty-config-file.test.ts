import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeAgent } from '../../bots/compose-agent.js';
import { loadConfig } from '../../bots/config.js';
import { silentLogger } from '../../core/logger.js';
import { createStores, type Stores } from '../../storage/stores.js';
import { CollectingAdapter } from '../support/collecting-adapter.js';

describe('LOYALTY_CONFIG_FILE', () => {
  let dir: string;
  let stores: Stores;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relevo-loyalty-'));
    stores = await createStores({});
  });

  afterAll(async () => {
    await stores?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('pays the earn rules of the file it names instead of the shipped ones', async () => {
    const loyalty = JSON.parse(await readFile('gamification/config/loyalty.json', 'utf8'));
    loyalty.rules.push({ id: 'every-message', event: 'message.received', points: 7 });
    const file = join(dir, 'loyalty.json');
    await writeFile(file, JSON.stringify(loyalty));
    const agent = await composeAgent({
      config: loadConfig({ LOYALTY_CONFIG_FILE: file }),
      logger: silentLogger,
      stores,
    });
    const adapter = new CollectingAdapter({ pipeline: agent.pipeline });
    adapter.logic = agent.bot;
    const customer = { userId: 'webchat:loyal-1', channelId: 'webchat', conversationId: 'web-loyal-1' };
    await adapter.say('hello', customer);
    await adapter.say('hello again', customer);
    adapter.sent.splice(0);
    await adapter.say('how many points do I have?', customer);
    const [balance] = adapter.sent.filter((activity) => activity.type === 'message').map((a) => a.text);
    // First contact of the day (5) and 7 for each of the two earlier messages.
    expect(balance).toMatch(/^You have 19 points/);
  });

  it('refuses to start on a file that is not readable JSON, naming the variable', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "rules": [');
    expect(() => loadConfig({ LOYALTY_CONFIG_FILE: file })).toThrow(/LOYALTY_CONFIG_FILE/);
  });

  it('refuses to start on a file whose rules are invalid, listing each problem', async () => {
    const file = join(dir, 'invalid.json');
    await writeFile(file, JSON.stringify({ rules: [{ id: 'x', event: 'message.received', points: -1 }] }));
    await expect(
      composeAgent({ config: loadConfig({ LOYALTY_CONFIG_FILE: file }), logger: silentLogger, stores }),
    ).rejects.toMatchObject({
      code: 'RELEVO_GAMIFICATION_CONFIG',
      message: expect.stringContaining('tiers'),
    });
  });
});
