import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { loadConfig } from '../../bots/config.js';
import { createRelevo, type Relevo } from '../../bots/relevo.js';
import type { TurnLogic } from '../../core/channel.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type FakeSlack, startFakeSlack } from './fake-slack.js';

/** A test file's fake Slack with the per-test resets its Slack channel tests share. */
export interface FakeSlackFixture {
  /** The fake Slack API, started once for the file. */
  readonly slack: FakeSlack;
  /** Warnings logged during the current test (emptied before each). */
  readonly warnings: string[];
  /** Closes `close` (a served channel, say) when the current test ends. */
  closeAfterTest(close: () => Promise<void>): void;
}

/**
 * Starts a fake Slack for the calling test file (closed after it), empties its recorded calls and the
 * `warnings` before each test, and runs each test's `closeAfterTest` callbacks after it.
 */
export function useFakeSlack(): FakeSlackFixture {
  let slack: FakeSlack | undefined;
  const warnings: string[] = [];
  let closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await slack?.close();
  });
  beforeEach(() => {
    if (slack) slack.calls.length = 0;
    warnings.length = 0;
  });
  afterEach(async () => {
    const closing = closers;
    closers = [];
    await Promise.all(closing.map((close) => close()));
  });
  return {
    get slack() {
      if (!slack) throw new Error('the fake Slack is started in beforeAll: use it inside a test');
      return slack;
    },
    warnings,
    closeAfterTest: (close) => {
      closers.push(close);
    },
  };
}

/**
 * The composed Relevo server with Slack on `fixture`'s fake Slack (signing secret `secret`, a test bot
 * token) and `bot` as the agent, listening on a free loopback port and closed when the test ends.
 */
export async function startSlackRelevo(
  fixture: FakeSlackFixture,
  options: { secret: string; bot: TurnLogic; logger?: Logger; env?: Record<string, string> },
): Promise<{ base: string; relevo: Relevo }> {
  const relevo = await createRelevo({
    config: loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      SLACK_SIGNING_SECRET: options.secret,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: fixture.slack.url,
      ...options.env,
    }),
    logger: options.logger ?? silentLogger,
    bot: options.bot,
  });
  fixture.closeAfterTest(() => relevo.close());
  const { port } = await relevo.listen();
  return { base: `http://127.0.0.1:${port}`, relevo };
}
