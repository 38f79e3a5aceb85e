import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { composeAgent } from '../../bots/compose-agent.js';
import { loadConfig } from '../../bots/config.js';
import type { Clock } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import { NluRecognizer } from '../../nlu-models/index.js';
import { createRandom } from '../../nlu-models/classifier/random.js';
import { createStores } from '../../storage/stores.js';
import { CollectingAdapter } from '../support/collecting-adapter.js';
import { readFixture, renderActivity } from '../support/transcript-fixture.js';

const folder = fileURLToPath(new URL('.', import.meta.url));
const files = readdirSync(folder)
  .filter((file) => file.endsWith('.transcript'))
  .sort();
/** Fixtures read dates relative to this moment (the demo orders are placed around it). */
const clock: Clock = { now: () => Date.UTC(2026, 10, 22, 12) };

/** A seeded generator for the games' draws and reward codes: the same run every time. */
function seededRandom(seed: number): (max: number) => number {
  const random = createRandom(seed);
  return (max) => Math.floor(random() * max);
}

let recognizer: NluRecognizer;
beforeAll(async () => {
  recognizer = await NluRecognizer.create({});
});

describe('conversation fixtures, replayed through the real pipeline', () => {
  for (const file of files) {
    it(file.replace(/\.transcript$/, '').replaceAll('-', ' '), async () => {
      const fixture = readFixture(`${folder}/${file}`);
      // One customer per fixture: nothing (language, points) carries over from another fixture.
      const userId = `webchat:fixture-${file}`;
      const stores = await createStores({});
      const { pipeline, bot, identity, loyalty } = await composeAgent({
        config: loadConfig({}),
        logger: silentLogger,
        stores,
        clock,
        random: seededRandom(10),
        recognizer,
      });
      // `# points: N`: the fixture member starts with N points (credited through the ledger).
      const points = Number(
        /^#\s*points:\s*(\d+)/m.exec(readFileSync(`${folder}/${file}`, 'utf8'))?.[1] ?? 0,
      );
      if (points > 0) {
        const member = await identity.members.resolve(userId);
        await loyalty.ledger.credit({
          memberId: member.id,
          amount: points,
          reason: 'fixture',
          idempotencyKey: 'fixture:points',
        });
      }
      const adapter = new CollectingAdapter({ pipeline });
      adapter.logic = bot;
      for (const exchange of fixture.exchanges) {
        await adapter.say(exchange.user, {
          userId,
          channelId: 'webchat',
          ...(fixture.locale ? { locale: fixture.locale } : {}),
        });
        const replies = adapter.sent
          .splice(0)
          .filter((activity) => activity.type !== 'typing')
          .map(renderActivity);
        expect(replies, `${file}:${exchange.line} user> ${exchange.user}`).toEqual(exchange.bot);
      }
      await stores.close();
    });
  }
});
