import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createPipeline } from '../../../bots/pipeline.js';
import { silentLogger } from '../../../core/logger.js';
import { StateMiddleware } from '../../../storage/state-middleware.js';
import { createStores, type StoresOptions } from '../../../storage/stores.js';
import { stepBot } from '../../support/step-bot.js';
import { startWebChatServer, type WebChatServer } from '../../support/webchat-server.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** test/support/kill-after-save-child.ts: a server that dies right after saving step `killAfterStep`. */
async function startDoomedServer(env: Record<string, string>, killAfterStep: number) {
  const child = spawn(
    process.execPath,
    ['--disable-warning=DEP0111', '--import', 'tsx', 'test/support/kill-after-save-child.ts'],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env, KILL_AFTER_STEP: String(killAfterStep) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = once(child, 'exit').then(([, signal]) => signal as NodeJS.Signals | null);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const match = /listening (\S+)/.exec(output);
    if (match?.[1]) return { child, exited, base: match[1] };
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the server did not start:\n${output}`);
    await sleep(25);
  }
}

const deployments: [string, () => StoresOptions, () => Record<string, string>][] = [
  ['one Redis', () => ({ redisUrl: inject('redisUrl') }), () => ({ REDIS_URL: inject('redisUrl') })],
  [
    'a Redis Cluster',
    () => ({ redisClusterUrls: inject('redisClusterUrls') }),
    () => ({ REDIS_CLUSTER_URLS: inject('redisClusterUrls').join(',') }),
  ],
];

describe('a web chat process killed between a turn’s state save and its commit', () => {
  let doomed: ChildProcess | undefined;
  let survivor: WebChatServer | undefined;
  afterEach(async () => {
    doomed?.kill('SIGKILL');
    doomed = undefined;
    await survivor?.close();
    survivor = undefined;
  });

  it.each(deployments)(
    'leaves the customer the killed run’s answer exactly once and the dialog advanced exactly once (%s)',
    async (_name, storesOptions, env) => {
      const prefix = `kill-${randomUUID().slice(0, 8)}`;
      const first = await startDoomedServer({ ...env(), REDIS_KEY_PREFIX: prefix }, 2);
      doomed = first.child;
      const grant = (await (
        await fetch(`${first.base}/v3/directline/conversations`, { method: 'POST' })
      ).json()) as { conversationId: string; token: string };
      const headers = { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' };
      const path = `/v3/directline/conversations/${grant.conversationId}/activities`;
      const post = (base: string, text: string) =>
        fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify({ type: 'message', text }) });

      expect((await post(first.base, 'hello')).status).toBe(200);
      // Its process dies once the step-2 state is saved, before the replies and the entry's removal.
      await post(first.base, 'yes please').catch(() => undefined);
      expect(await first.exited).toBe('SIGKILL');
      doomed = undefined;

      // Another process takes over the dead one's turn once it was left for the visibility timeout (1 s).
      const stores = await createStores({ ...storesOptions(), prefix });
      const state = new StateMiddleware(stores.storage);
      survivor = await startWebChatServer({
        stores,
        pipeline: createPipeline({ stores, logger: silentLogger, state }),
        bot: stepBot(state),
        visibilityMs: 1_000,
      });
      const messages = async () =>
        (
          (await (await fetch(`${survivor?.base}${path}`, { headers })).json()) as {
            activities: { type: string; text?: string }[];
          }
        ).activities
          .filter((activity) => activity.type === 'message')
          .map((activity) => activity.text);
      const deadline = Date.now() + 15_000;
      while (!(await messages()).some((text) => text?.startsWith('step 2')) && Date.now() < deadline) {
        await sleep(100);
      }
      expect((await post(survivor.base, 'and then?')).status).toBe(200);

      const exchange = [
        'hello',
        'step 1: hello',
        'yes please',
        'step 2: yes please',
        'and then?',
        'step 3: and then?',
      ];
      expect(await messages()).toEqual(exchange);
      // The transcript an agent reads back has the same exchange, once.
      const page = await stores.transcripts.getTranscriptActivities('webchat', grant.conversationId);
      expect(
        page.items.filter((activity) => activity.type === 'message').map((activity) => activity.text),
      ).toEqual(exchange);
    },
  );
});
