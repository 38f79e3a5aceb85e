/**
 * `npm run ledger:verify [-- --redis-url URL | --redis-cluster-urls URL,URL] [--prefix P]`: checks every
 * member of the Redis ledger (sum of entries = balance). Exits 1 when any member is inconsistent, 2 on
 * bad usage. This file is its own composition root (like bots/main.ts), so it alone reads `REDIS_URL`,
 * `REDIS_CLUSTER_URLS` and `REDIS_KEY_PREFIX`.
 */
import { connectRedis } from '../../storage/redis-connection.js';
import { RedisLedger } from '../ledger/redis-ledger.js';
import { formatAudit, verifyLedger } from '../ledger/verify-all.js';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
}

const url = flag('--redis-url') ?? process.env.REDIS_URL;
const clusterUrls = (flag('--redis-cluster-urls') ?? process.env.REDIS_CLUSTER_URLS ?? '')
  .split(',')
  .map((each) => each.trim())
  .filter((each) => each !== '');
const prefix = flag('--prefix') ?? process.env.REDIS_KEY_PREFIX ?? 'relevo';
if (!url === (clusterUrls.length === 0)) {
  process.stderr.write(
    'ledger:verify needs either --redis-url (REDIS_URL) or --redis-cluster-urls (REDIS_CLUSTER_URLS); the in-memory ledger lives in one process\n',
  );
  process.exitCode = 2;
} else {
  const client = await connectRedis(url ? { url } : { clusterUrls });
  try {
    const audit = await verifyLedger(new RedisLedger(client, { prefix }));
    process.stdout.write(formatAudit(audit));
    if (audit.inconsistent.length > 0) process.exitCode = 1;
  } finally {
    await client.close();
  }
}
