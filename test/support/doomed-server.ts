import { setTimeout as sleep } from 'node:timers/promises';
import { spawnRelevo } from './spawn-relevo.js';

/**
 * test/support/kill-after-save-child.ts with `env`: a web chat server process that SIGKILLs itself at
 * the point `env` names (KILL_AFTER_SAVING, KILL_BEFORE_DELETING); or another such `script` (the Bot
 * Framework channel's, kill-invoke-child.ts). Resolves once it serves.
 */
export async function startDoomedServer(
  env: Record<string, string>,
  script = 'test/support/kill-after-save-child.ts',
) {
  const server = spawnRelevo(env, { script });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const match = /listening (\S+)/.exec(server.output());
    if (match?.[1]) return { server, base: match[1] };
    if (server.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the server did not start:\n${server.output()}`);
    }
    await sleep(25);
  }
}

/** A customer of a web chat conversation started on `base`, who may talk to another server later. */
export async function customerOf(base: string) {
  const grant = (await (await fetch(`${base}/v3/directline/conversations`, { method: 'POST' })).json()) as {
    conversationId: string;
    token: string;
  };
  const headers = { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' };
  const path = `/v3/directline/conversations/${grant.conversationId}/activities`;
  return {
    conversationId: grant.conversationId,
    post: (on: string, text: string) =>
      fetch(`${on}${path}`, { method: 'POST', headers, body: JSON.stringify({ type: 'message', text }) }),
    messages: async (on: string) =>
      (
        (await (await fetch(`${on}${path}`, { headers })).json()) as {
          activities: { type: string; text?: string }[];
        }
      ).activities
        .filter((activity) => activity.type === 'message')
        .map((activity) => activity.text ?? ''),
  };
}
