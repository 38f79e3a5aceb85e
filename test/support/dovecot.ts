import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/** A private Dovecot IMAP server on a loopback port (plain auth, no TLS), in its own temp folder. */
export interface DovecotServer {
  readonly port: number;
  /** `imap://user:secret@127.0.0.1:port` for one of the configured users. */
  url(user: string): string;
  /** Appends a raw RFC 5322 message to the user's INBOX over IMAP (APPEND), as a mail server would deliver it. */
  append(user: string, raw: string | Buffer, flags?: string[]): Promise<number>;
  /** Appends many messages over one IMAP connection; resolves with their UIDs. */
  appendMany(user: string, raws: (string | Buffer)[]): Promise<number[]>;
  /** The flags of the message with this UID in the user's INBOX. */
  flags(user: string, uid: number): Promise<Set<string>>;
  /** Removes `\Seen` from these messages, as a restored mailbox that lost its flags would show them. */
  unsee(user: string, uids: number[]): Promise<void>;
  /** The current UIDVALIDITY of the user's INBOX, as a decimal string. */
  uidValidity(user: string): Promise<string>;
  /** Gives the user's INBOX a new UIDVALIDITY, as a restored or rebuilt mailbox would have (RFC 3501 §2.3.1.1). */
  changeUidValidity(user: string, uidValidity: number): Promise<void>;
  stop(): Promise<void>;
}

const PASSWORD = 'secret';

/**
 * Starts Dovecot 2.3 as STACK.md describes: a config with its own `base_dir`, `state_dir` and log in a
 * temp folder, a passwd-file of `users` (all with the password `secret`), maildirs owned by the system
 * user `mail`. Needs root (the test machines run as root) and `dovecot-imapd` installed.
 */
export async function startDovecot(users: string[]): Promise<DovecotServer> {
  const port = await freePort();
  // Short path: Dovecot's unix sockets live in base_dir and socket paths are limited to ~108 bytes.
  const dir = await mkdtemp(join(tmpdir(), 'dc-'));
  const config = join(dir, 'dovecot.conf');
  const passwd = join(dir, 'passwd');
  const mail = join(dir, 'mail');
  await mkdir(join(dir, 'base'));
  await mkdir(join(dir, 'state'));
  await mkdir(mail);
  await chmod(dir, 0o755);
  const [{ stdout: mailUid }, { stdout: dovecotGid }] = await Promise.all([
    run('id', ['-u', 'mail']),
    run('getent', ['group', 'dovecot']),
  ]);
  await chown(mail, Number(mailUid.trim()), Number(mailUid.trim()));
  await writeFile(passwd, users.map((user) => `${user}:{PLAIN}${PASSWORD}\n`).join(''));
  await chown(passwd, 0, Number(dovecotGid.split(':')[2]));
  await chmod(passwd, 0o640);
  await writeFile(
    config,
    `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/base
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:${mail}/%u/Maildir
mail_uid = mail
mail_gid = mail
passdb {
  driver = passwd-file
  args = ${passwd}
}
userdb {
  driver = static
  args = uid=mail gid=mail home=${mail}/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
`,
  );
  const child = await launch(config, port, dir);
  const url = (user: string) => `imap://${encodeURIComponent(user)}:${PASSWORD}@127.0.0.1:${port}`;
  const withClient = async <T>(user: string, work: (client: ImapFlow) => Promise<T>): Promise<T> => {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      auth: { user, pass: PASSWORD },
      logger: false,
    });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.logout().catch(() => client.close());
    }
  };
  return {
    port,
    url,
    append: (user, raw, flags = []) =>
      withClient(user, async (client) => {
        const result = await client.append('INBOX', raw, flags);
        if (result === false || !result.uid)
          throw new Error('Dovecot did not report the UID of the appended message');
        return result.uid;
      }),
    appendMany: (user, raws) =>
      withClient(user, async (client) => {
        const uids: number[] = [];
        for (const raw of raws) {
          const result = await client.append('INBOX', raw);
          if (result === false || !result.uid) throw new Error('Dovecot did not report the UID of a message');
          uids.push(result.uid);
        }
        return uids;
      }),
    flags: (user, uid) =>
      withClient(user, async (client) => {
        await client.mailboxOpen('INBOX', { readOnly: true });
        const message = await client.fetchOne(String(uid), { flags: true }, { uid: true });
        return new Set(message ? (message.flags ?? []) : []);
      }),
    unsee: (user, uids) =>
      withClient(user, async (client) => {
        await client.mailboxOpen('INBOX');
        await client.messageFlagsRemove(uids.join(','), ['\\Seen'], { uid: true });
      }),
    uidValidity: (user) =>
      withClient(user, async (client) => {
        const mailbox = await client.mailboxOpen('INBOX', { readOnly: true });
        return mailbox.uidValidity.toString();
      }),
    changeUidValidity: async (user, uidValidity) => {
      await run('doveadm', [
        '-c',
        config,
        'mailbox',
        'update',
        '-u',
        user,
        '--uid-validity',
        String(uidValidity),
        'INBOX',
      ]);
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function launch(config: string, port: number, dir: string): Promise<ChildProcess> {
  // -F: stay in the foreground, so this process owns the master's pid and can stop it.
  const child = spawn('dovecot', ['-F', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const log = await run('cat', [join(dir, 'dovecot.log')]).catch(() => ({ stdout: '' }));
      throw new Error(`dovecot exited with code ${child.exitCode}: ${stderr}\n${log.stdout}`);
    }
    if (await greets(port)) return child;
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`dovecot did not accept IMAP connections on port ${port} within 10 s: ${stderr}`);
}

async function greets(port: number): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('* OK'));
    });
    socket.once('error', () => resolve(false));
  });
}
