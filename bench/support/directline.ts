/**
 * Direct Line helpers shared by the web chat benchmarks: conversations opened the way a browser opens
 * them, and the retail messages customers send.
 */
import { request } from 'node:http';
import WebSocket from 'ws';

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

/**
 * A web chat customer as a browser is one: its conversation's WebSocket stream open, each message
 * posted on a kept-alive connection, and the time (`performance.now()`) the stream first delivered a
 * bot activity replying to each of its messages.
 */
export class StreamingCustomer {
  private readonly repliedAt = new Map<string, number>();
  private readonly waiting = new Set<() => void>();
  private failure: Error | undefined;

  private constructor(
    readonly grant: Grant,
    private readonly base: string,
    private readonly socket: WebSocket,
  ) {
    socket.on('message', (data) => {
      const at = performance.now();
      const set = JSON.parse(String(data)) as {
        activities?: { replyToId?: string; from?: { role?: string } }[];
      };
      for (const activity of set.activities ?? []) {
        if (activity.from?.role !== 'bot' || !activity.replyToId) continue;
        if (!this.repliedAt.has(activity.replyToId)) this.repliedAt.set(activity.replyToId, at);
      }
      for (const wake of this.waiting) wake();
    });
    socket.on('error', (error) => {
      this.failure ??= error;
      for (const wake of this.waiting) wake();
    });
  }

  /** Opens a conversation (`POST /conversations`) and its stream, as Web Chat does. */
  static async open(base: string): Promise<StreamingCustomer> {
    const { status, body } = await postJson(`${base}/v3/directline/conversations`, {});
    if (status !== 201) throw new Error(`POST /conversations answered ${status}`);
    const grant = body as Grant;
    const socket = new WebSocket(grant.streamUrl);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new StreamingCustomer(grant, base, socket);
  }

  /** Posts a message; resolves with the id the service gave it once the POST is answered. */
  async say(text: string): Promise<string> {
    const response = await fetch(
      `${this.base}/v3/directline/conversations/${this.grant.conversationId}/activities`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${this.grant.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(messageBody(text)),
      },
    );
    if (response.status !== 200) throw new Error(`POST …/activities answered ${response.status}`);
    return ((await response.json()) as { id: string }).id;
  }

  /** When the stream delivered the bot's first reply to message `id`. */
  async replyTo(id: string, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const at = this.repliedAt.get(id);
      if (at !== undefined) return at;
      if (this.failure) throw this.failure;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no reply to ${id} on the stream within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiting.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiting.add(wake);
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}
