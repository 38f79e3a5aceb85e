import { expect } from 'vitest';
import { messageBody, postJson, RETAIL_MESSAGES } from '../../bench/support/directline.js';
import { type Burst, isBackgroundBurst } from '../../bench/support/redis-proxy.js';

/**
 * Opens a web chat conversation on the Direct Line at `base`, warms it (the member is created and seen,
 * the first points are earned), then posts each retail message in turn and returns, per message, the
 * Redis bursts of its own chain that the counting proxy recorded (`take`): polls and timers left out.
 */
export async function warmMessageBursts(base: string, take: () => Burst[]): Promise<Burst[][]> {
  const started = await postJson(`${base}/conversations`, {});
  const { conversationId, token } = started.body as { conversationId: string; token: string };
  const post = async (text: string) => {
    const { status } = await postJson(
      `${base}/conversations/${conversationId}/activities`,
      messageBody(text),
      {
        authorization: `Bearer ${token}`,
      },
    );
    expect(status).toBe(200);
  };
  for (const text of RETAIL_MESSAGES.slice(0, 2)) await post(text);
  const perMessage: Burst[][] = [];
  for (const text of RETAIL_MESSAGES) {
    take();
    await post(text);
    perMessage.push(take().filter((burst) => !isBackgroundBurst(burst)));
  }
  return perMessage;
}

/** A burst's commands as their names and first keys, so a failing count shows what went apart. */
export function describeBurst(burst: Burst): string[] {
  return burst.commands.map((args) => `${args[0]} ${args[3] ?? args[1] ?? ''}`);
}
