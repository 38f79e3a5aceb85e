import {
  type Activity,
  ConnectionStatus,
  DirectLine,
  type DirectLineOptions,
} from 'botframework-directlinejs';
import XMLHttpRequest from 'xhr2';
import { WebSocket } from 'ws';

// botframework-directlinejs is a browser library: give it the browser's XMLHttpRequest and WebSocket,
// as Microsoft's own Node samples do. The client itself runs unmodified.
Object.assign(globalThis, { XMLHttpRequest, WebSocket });

/** An unmodified Direct Line client and every activity it has received so far. */
export interface DirectLineSession {
  readonly client: DirectLine;
  readonly received: Activity[];
  /** Sends a message as the user; resolves with the activity id the service assigned. */
  say(text: string): Promise<string>;
  /** Waits until a received activity matches. */
  waitFor(predicate: (activity: Activity) => boolean, timeoutMs?: number): Promise<Activity>;
  end(): void;
}

export function openDirectLine(options: DirectLineOptions): DirectLineSession {
  const client = new DirectLine({ pollingInterval: 200, ...options });
  const received: Activity[] = [];
  const listeners = new Set<() => void>();
  const subscription = client.activity$.subscribe((activity) => {
    received.push(activity);
    for (const listener of listeners) listener();
  });
  return {
    client,
    received,
    say: (text) =>
      new Promise((resolve, reject) => {
        client
          .postActivity({ type: 'message', text, from: { id: 'user' } } as Activity)
          .subscribe(resolve, reject);
      }),
    waitFor: (predicate, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = received.find(predicate);
          if (!found) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `no matching activity within ${timeoutMs} ms; received ${JSON.stringify(received.map((a) => (a.type === 'message' ? a.text : a.type)))}`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    end: () => {
      subscription.unsubscribe();
      client.end();
    },
  };
}

export { ConnectionStatus };
