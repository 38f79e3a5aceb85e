/**
 * Prints the scrypt hash of an agent password for `AGENT_ACCOUNTS`:
 * `printf '%s' 'the password' | npx tsx handoff/cli/hash-password.ts`. The password is read from
 * standard input, never from the arguments, so it stays out of shell history and `ps`.
 */
import { hashAgentPassword } from '../agent-accounts.js';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const password = Buffer.concat(chunks)
  .toString('utf8')
  .replace(/\r?\n$/, '');
if (password.length < 8) {
  process.stderr.write('hash-password: give a password of at least 8 characters on standard input\n');
  process.exitCode = 2;
} else {
  process.stdout.write(`${await hashAgentPassword(password)}\n`);
}
