import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DovecotServer, startDovecot } from '../../support/dovecot.js';
import { type CapturingSmtpServer, startSmtpServer } from '../../support/smtp-server.js';
import { spawnRelevo } from '../../support/spawn-relevo.js';
import { eventually, rawMail, SUPPORT } from './harness.js';

let dovecot: DovecotServer;
let smtp: CapturingSmtpServer;

beforeAll(async () => {
  [dovecot, smtp] = await Promise.all([startDovecot(['process']), startSmtpServer()]);
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), smtp?.stop()]);
});

describe('the Relevo server process with a mailbox configured', () => {
  it('reports the email channel on /healthz, answers mail over SMTP, and logs out on SIGTERM', async () => {
    const relevo = spawnRelevo({
      PORT: '0',
      IMAP_URL: dovecot.url('process'),
      SMTP_URL: smtp.url,
      EMAIL_FROM: SUPPORT,
    });
    try {
      const port = await relevo.listening();
      await eventually(async () => {
        const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
          channels: Record<string, { status: string; detail?: string }>;
        };
        return health.channels.email?.detail === 'IMAP connected';
      });
      await dovecot.append(
        'process',
        rawMail({ from: 'Gil <gil@example.com>', messageId: '<p1@x>', text: 'Hello' }),
      );
      await eventually(() => smtp.received.some((mail) => mail.envelopeTo.includes('gil@example.com')));
      const reply = smtp.received.find((mail) => mail.envelopeTo.includes('gil@example.com'));
      expect(reply?.parsed.inReplyTo).toBe('<p1@x>');
      expect(reply?.parsed.subject).toBe('Re: Where is my order?');
    } finally {
      relevo.child.kill('SIGTERM');
      expect(await relevo.exited()).toBe(0);
    }
  });

  it('reports the email channel off, naming what is missing, when no mailbox is configured', async () => {
    const relevo = spawnRelevo({ PORT: '0' });
    try {
      const port = await relevo.listening();
      const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
        channels: Record<string, unknown>;
      };
      expect(health.channels.email).toEqual({
        status: 'off',
        detail: 'IMAP_URL, SMTP_URL, EMAIL_FROM not set',
      });
    } finally {
      relevo.child.kill('SIGTERM');
      await relevo.exited();
    }
  });
});
