/**
 * A loopback TCP proxy between a server under test and Redis that counts round trips honestly: on each
 * connection, a **round trip** is a burst of requests the client writes before it reads a reply. Two
 * commands node-redis writes in one tick (or in two ticks before Redis answers the first) travel
 * together and wait together: one round trip. A command written after a reply arrived — typically
 * because it needed that reply — starts a new one. The proxy also decodes the commands of each burst
 * (RESP arrays of bulk strings), so a burst can be attributed to the stages whose keys it touches.
 */
import { createServer, createConnection, type Server, type Socket } from 'node:net';

/** The commands (name and arguments) one burst carried, on one client connection. */
export interface Burst {
  connection: number;
  commands: string[][];
  /** The round trip it travelled in, counted over every proxy sharing one {@link RoundTripPhases}. */
  phase: number;
  /** Bytes Redis sent back on its connection until the next burst there (its replies). */
  replyBytes: number;
}

export interface RedisProxy {
  readonly port: number;
  readonly url: string;
  /** Bursts recorded since the last `take()`, oldest first; empties the record. */
  take(): Burst[];
  close(): Promise<void>;
}

/** Incremental RESP decoder of client requests: arrays of bulk strings (all node-redis sends). */
class RequestDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  /** Whether the last chunk ended inside a command: the next chunk is the rest of the same write. */
  get isMidCommand(): boolean {
    return this.buffer.length > 0;
  }

  push(chunk: Buffer): string[][] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const commands: string[][] = [];
    for (;;) {
      const parsed = this.parseOne();
      if (!parsed) break;
      commands.push(parsed.command);
      this.buffer = this.buffer.subarray(parsed.end);
    }
    return commands;
  }

  private parseOne(): { command: string[]; end: number } | undefined {
    const buffer = this.buffer;
    const line = (from: number): { text: string; next: number } | undefined => {
      const at = buffer.indexOf('\r\n', from);
      return at < 0 ? undefined : { text: buffer.toString('latin1', from, at), next: at + 2 };
    };
    const header = line(0);
    if (!header) return undefined;
    if (!header.text.startsWith('*')) {
      // An inline command (telnet style): its words are the command.
      return { command: header.text.split(' '), end: header.next };
    }
    const count = Number(header.text.slice(1));
    const command: string[] = [];
    let offset = header.next;
    for (let i = 0; i < count; i++) {
      const size = line(offset);
      if (!size) return undefined;
      const length = Number(size.text.slice(1));
      if (buffer.length < size.next + length + 2) return undefined;
      command.push(buffer.toString('utf8', size.next, size.next + length));
      offset = size.next + length + 2;
    }
    return { command, end: offset };
  }
}

const BACKGROUND_COMMANDS = new Set(['xautoclaim', 'xreadgroup']);
// Keys of timer wheels, outcome-event days and wake-up streams (their acknowledgements).
const BACKGROUND_KEY = /:(\{timers:|\{analytics:|analytics:days$|inq:[^:{}]+:wake$)/;

/**
 * A burst no message waits for: wake-up polls, timer polls, and what a turn leaves behind on its own
 * timer (outcome events, acknowledgements of drained wake-ups) when no next message takes it along.
 */
export function isBackgroundBurst(burst: Burst): boolean {
  return burst.commands.every(([name = '', first = '', , scriptKey = '']) => {
    const command = name.toLowerCase();
    if (BACKGROUND_COMMANDS.has(command)) return true;
    const key = command === 'evalsha' || command === 'eval' ? scriptKey : first;
    return BACKGROUND_KEY.test(key);
  });
}

/**
 * Round trips over several connections at once: a cluster client writes to each master on a connection
 * of its own, and bursts it sends to three masters in one tick wait together, as one round trip. A
 * phase is every burst written, on any connection of the proxies sharing it, before a reply to one of
 * them came back; a burst written after such a reply starts the next phase. Replies to background
 * bursts (polls, timers) do not end a phase: no message's chain waits for them.
 */
export class RoundTripPhases {
  private current = 0;
  private answered = true;

  /** The phase of a burst starting now. */
  begin(): number {
    if (this.answered) {
      this.current += 1;
      this.answered = false;
    }
    return this.current;
  }

  /**
   * A reply to `burst` arrived. The phase ends once this event-loop turn is over: a client write the
   * proxy reads in the same turn reached the kernel before the client could have seen this reply (it
   * has not been forwarded yet), so it is concurrent, whatever order the sockets are read in.
   */
  answer(burst: Burst): void {
    if (isBackgroundBurst(burst)) return;
    setImmediate(() => {
      this.answered = true;
    });
  }
}

/**
 * Starts a proxy on an ephemeral loopback port forwarding to Redis on `redisPort`; proxies in front of
 * the masters of one cluster share `phases`.
 */
export async function startRedisProxy(
  redisPort: number,
  phases = new RoundTripPhases(),
): Promise<RedisProxy> {
  let bursts: Burst[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const connection = ++connections;
    const upstream = createConnection({ port: redisPort, host: '127.0.0.1' });
    sockets.add(client).add(upstream);
    const decoder = new RequestDecoder();
    // The burst being written: open until Redis sends anything back on this connection.
    let open: Burst | undefined;
    let last: Burst | undefined;
    client.on('data', (chunk: Buffer) => {
      // A chunk that completes a command cut in two is the rest of a write the client made before
      // any reply (Redis may have answered its first commands meanwhile): the same burst.
      if (!open && !(decoder.isMidCommand && last)) {
        open = { connection, commands: [], phase: phases.begin(), replyBytes: 0 };
        bursts.push(open);
      }
      last = open ?? last;
      last?.commands.push(...decoder.push(chunk));
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (open) phases.answer(open);
      open = undefined;
      if (last) last.replyBytes += chunk.length;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    take: () => {
      const taken = bursts;
      bursts = [];
      return taken;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
