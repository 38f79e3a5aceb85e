/**
 * An agent on the agent console, doing over the wire what the page at `/agent` does (handoff/console-page.ts):
 * logs in, opens the console's WebSocket stream, and on each `handoff.requested` or `handoff.updated`
 * event refreshes its waiting and active lists (`GET /api/handoffs?status=pending|active`). It records
 * when the stream delivered each handoff's `handoff.requested` and when a refresh first listed it.
 */
import WebSocket from 'ws';
import { CONSOLE_STREAM_PATH } from '../../handoff/agent-console.js';
import type { HandoffEvent } from '../../handoff/handoff-events.js';

interface Listed {
  id: string;
  conversation: { conversationId: string };
}

/** When the console learned of one handoff (`performance.now()` of this process). */
export interface Escalation {
  handoffId: string;
  /** The stream delivered its `handoff.requested`. */
  deliveredAt: number;
  /** A refresh of the waiting list, as the page makes on an event, first listed it. */
  listedAt: number;
}

export class ConsoleAgent {
  private readonly deliveredAt = new Map<string, number>();
  private readonly listedAt = new Map<string, number>();
  private readonly handoffOf = new Map<string, string>();
  private readonly waiting = new Map<string, () => void>();
  private refreshes = 0;
  private failure: Error | undefined;

  private constructor(
    private readonly base: string,
    private readonly cookie: string,
    private readonly csrf: string,
    private readonly socket: WebSocket,
  ) {
    socket.on('message', (data) => {
      const at = performance.now();
      const event = JSON.parse(String(data)) as HandoffEvent;
      if (event.type === 'handoff.requested' && !this.deliveredAt.has(event.handoffId)) {
        this.deliveredAt.set(event.handoffId, at);
        this.wake();
      }
      if (event.type === 'handoff.requested' || event.type === 'handoff.updated') {
        this.refresh().catch((error: unknown) => this.fail(error));
      }
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the console stream closed')));
  }

  /** Logs `agentId` in and opens the console's stream with the session cookie, as the page does. */
  static async open(base: string, agentId: string, password: string): Promise<ConsoleAgent> {
    const login = await fetch(`${base}/api/agent/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentId, password }),
    });
    if (login.status !== 200) throw new Error(`agent login answered ${login.status}`);
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const socket = new WebSocket(`${base.replace('http', 'ws')}${CONSOLE_STREAM_PATH}`, {
      headers: { cookie },
      origin: base,
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new ConsoleAgent(base, cookie, csrfToken, socket);
  }

  /** How many list refreshes the events caused so far. */
  get refreshCount(): number {
    return this.refreshes;
  }

  /** Resolves once the stream delivered, and a refresh listed, the handoff of `conversationId`. */
  async escalationOf(conversationId: string, timeoutMs: number): Promise<Escalation> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.failure) throw this.failure;
      const handoffId = this.handoffOf.get(conversationId);
      const deliveredAt = handoffId && this.deliveredAt.get(handoffId);
      const listedAt = handoffId && this.listedAt.get(handoffId);
      if (handoffId && deliveredAt && listedAt) return { handoffId, deliveredAt, listedAt };
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`conversation ${conversationId} never reached the console`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting.set(conversationId, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves the handoff as a supervisor on the console (the bot resumes and asks for CSAT). */
  async resolve(handoffId: string): Promise<void> {
    const response = await fetch(`${this.base}/api/handoffs/${handoffId}/resolve`, {
      method: 'POST',
      headers: { cookie: this.cookie, 'x-relevo-csrf': this.csrf, 'content-type': 'application/json' },
      body: '{}',
    });
    if (response.status !== 200) throw new Error(`resolve answered ${response.status}`);
  }

  close(): void {
    this.socket.removeAllListeners('close');
    this.socket.close();
  }

  private async refresh(): Promise<void> {
    this.refreshes += 1;
    const list = async (status: string) => {
      const response = await fetch(`${this.base}/api/handoffs?status=${status}`, {
        headers: { cookie: this.cookie },
      });
      if (response.status !== 200) throw new Error(`the ${status} list answered ${response.status}`);
      return ((await response.json()) as { handoffs: Listed[] }).handoffs;
    };
    const [pending] = await Promise.all([list('pending'), list('active')]);
    const at = performance.now();
    for (const handoff of pending) {
      if (this.listedAt.has(handoff.id)) continue;
      this.listedAt.set(handoff.id, at);
      this.handoffOf.set(handoff.conversation.conversationId, handoff.id);
    }
    this.wake();
  }

  private fail(error: unknown): void {
    this.failure ??= error instanceof Error ? error : new Error(String(error));
    this.wake();
  }

  private wake(): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const wake of waiting) wake();
  }
}
