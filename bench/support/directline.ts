/**
 * Direct Line helpers shared by the web chat benchmarks: conversations opened the way a browser opens
 * them, and the retail messages customers send.
 */
import { request } from 'node:http';

export interface Grant {
  conversationId: string;
  token: string;
  streamUrl: string;
}

/**
 * What customers of the demo store send, one conversation cycling through them: order tracking by
 * number, points, FAQs, returns. Every one runs NLU, a dialog and the state, transcript and ledger.
 */
export const RETAIL_MESSAGES: readonly string[] = [
  'where is my order ORD-100002',
  'how many points do I have',
  'what is your return policy',
  'where is my order ORD-100001',
  'do you ship internationally',
  'thanks, that is all',
];

/** `POST` with a JSON body on a fresh connection; resolves with status and parsed body. */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Opens `count` anonymous conversations, `parallel` at a time (each one greets, a turn of its own). */
export async function openConversations(base: string, count: number, parallel = 50): Promise<Grant[]> {
  const grants: Grant[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        next += 1;
        const { status, body } = await postJson(`${base}/v3/directline/conversations`, {});
        if (status !== 201) throw new Error(`POST /conversations answered ${status}`);
        grants.push(body as Grant);
      }
    }),
  );
  return grants;
}

/** The body of a message activity as Web Chat posts it. */
export function messageBody(text: string): Record<string, unknown> {
  return { type: 'message', text, from: { id: 'bench-user' }, locale: 'en-US' };
}
