#!/usr/bin/env node
// Installs the Debian packages the test suite needs (real Redis, Dovecot and Chromium) when they are
// missing. As root it runs apt-get itself; otherwise it prints the exact command and stops.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const required = [
  { pkg: 'redis-server', binary: '/usr/bin/redis-server' },
  // redis-cli joins the test Redis Cluster (redis-server depends on it; checked on its own anyway).
  { pkg: 'redis-tools', binary: '/usr/bin/redis-cli' },
  { pkg: 'dovecot-imapd', binary: '/usr/sbin/dovecot' },
  { pkg: 'chromium', binary: '/usr/bin/chromium' },
];

const missing = required.filter(({ binary }) => !existsSync(binary)).map(({ pkg }) => pkg);
if (missing.length === 0) process.exit(0);

const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
  process.stderr.write(
    `The tests need these Debian packages: ${missing.join(', ')}.\nInstall them as root, then run npm test again:\n  sudo sh -c '${command}'\n`,
  );
  process.exit(1);
}

process.stderr.write(`Installing test dependencies: ${missing.join(', ')} (apt-get, about a minute)\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const update = spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
const install =
  update.status === 0
    ? spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
        stdio: 'inherit',
        env,
      })
    : update;
if (install.status !== 0) {
  process.stderr.write(`apt-get failed; run by hand: ${command}\n`);
  process.exit(1);
}
// Debian starts services it installs where it can; the tests start their own private servers.
for (const service of ['redis-server', 'dovecot']) {
  try {
    execFileSync('service', [service, 'stop'], { stdio: 'ignore' });
  } catch {
    // Not running, or no service manager: nothing to stop.
  }
}
