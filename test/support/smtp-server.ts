import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from './free-port.js';

/** One message the capturing SMTP server accepted: the envelope and the parsed message. */
export interface CapturedMail {
  readonly envelopeFrom: string;
  readonly envelopeTo: string[];
  readonly raw: string;
  readonly parsed: ParsedMail;
}

/** A real SMTP server on a loopback port that accepts everything and keeps what it received. */
export interface CapturingSmtpServer {
  readonly url: string;
  readonly received: CapturedMail[];
  /** Resolves with the received messages once at least `count` arrived, or rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<CapturedMail[]>;
  /**
   * While on, messages are read but never answered (as a hanging SMTP server: the sender waits) and
   * not kept; `held` counts them.
   */
  hold(on: boolean): void;
  readonly held: number;
  stop(): Promise<void>;
}

const USER = 'relevo';
const PASSWORD = 'smtp-secret';

/**
 * Starts `smtp-server` on a free loopback port with plain AUTH (no TLS; fine on loopback only) and
 * parses every message it receives with mailparser, so tests assert what a recipient would see.
 */
export async function startSmtpServer(): Promise<CapturingSmtpServer> {
  const port = await freePort();
  const received: CapturedMail[] = [];
  let waiters: (() => void)[] = [];
  let holding = false;
  let held = 0;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    size: 30 * 1024 * 1024,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: USER });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (holding) {
          held++;
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            const mailFrom = session.envelope.mailFrom;
            received.push({
              envelopeFrom: mailFrom ? mailFrom.address : '',
              envelopeTo: session.envelope.rcptTo.map((to) => to.address),
              raw,
              parsed,
            });
            for (const wake of waiters.splice(0)) wake();
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `smtp://${USER}:${PASSWORD}@127.0.0.1:${port}`,
    received,
    hold: (on) => {
      holding = on;
    },
    get held() {
      return held;
    },
    waitFor: (count, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            resolve(received.slice());
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== wait);
          reject(
            new Error(`expected ${count} messages over SMTP within ${timeoutMs} ms, got ${received.length}`),
          );
        }, timeoutMs);
        const wait = () => {
          if (!check()) waiters.push(wait);
        };
        if (!check()) waiters.push(wait);
      }),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
