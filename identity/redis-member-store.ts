import type { RedisConnection } from '../storage/redis-connection.js';
import { memberTag } from '../storage/redis-keys.js';
import { RedisScript } from '../storage/redis-script.js';
import type { MemberRecord, VersionedMember } from './member-record.js';
import type { AuditRecord, MemberStore } from './member-store.js';

// A member is a hash {v: version, d: JSON}. Create and replace are compare-and-set in one script each.
const createScript = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', '1', 'd', ARGV[1])
return 1
`);
const replaceScript = new RedisScript(`
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', tostring(tonumber(ARGV[1]) + 1), 'd', ARGV[2])
return 1
`);
// The key index: first claim wins, moves and releases only by the current owner.
const claimScript = new RedisScript(`
local owner = redis.call('GET', KEYS[1])
if owner then return owner end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`);
const moveScript = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`);
const releaseScript = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);
const hitScript = new RedisScript(`
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`);

/**
 * {@link MemberStore} on Redis. Everything of one member lives under the hash tag `{m:<id>}` (record,
 * link code), so a Redis Cluster keeps it on one slot; the key index (`…:key:<identity key>`)
 * and audits are looked up by their own name and need no tag. Every conditional write is one Lua
 * script on one key, which is atomic on a cluster too; a merge is a sequence of such steps.
 */
export class RedisMemberStore implements MemberStore {
  private readonly prefix: string;

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string } = {},
  ) {
    this.prefix = `${options.prefix ?? 'relevo'}:identity:`;
  }

  async get(id: string): Promise<VersionedMember | undefined> {
    const [version, json] = await this.client.hmGet(this.memberKey(id), ['v', 'd']);
    if (typeof version !== 'string' || typeof json !== 'string') return undefined;
    return { record: JSON.parse(json) as MemberRecord, version: Number(version) };
  }

  async version(id: string): Promise<number | undefined> {
    const version = await this.client.hGet(this.memberKey(id), 'v');
    return typeof version === 'string' ? Number(version) : undefined;
  }

  async create(record: MemberRecord): Promise<boolean> {
    return (
      Number(await createScript.run(this.client, [this.memberKey(record.id)], [JSON.stringify(record)])) === 1
    );
  }

  async replace(record: MemberRecord, expectedVersion: number): Promise<boolean> {
    const reply = await replaceScript.run(
      this.client,
      [this.memberKey(record.id)],
      [String(expectedVersion), JSON.stringify(record)],
    );
    return Number(reply) === 1;
  }

  async delete(id: string): Promise<void> {
    await this.client.del([this.memberKey(id), this.secretKey(`link:${id}`)]);
  }

  async ownerOf(key: string): Promise<string | undefined> {
    return (await this.client.get(this.indexKey(key))) ?? undefined;
  }

  async claimKey(key: string, memberId: string): Promise<string> {
    return String(await claimScript.run(this.client, [this.indexKey(key)], [memberId]));
  }

  async moveKey(key: string, from: string, to: string): Promise<boolean> {
    return Number(await moveScript.run(this.client, [this.indexKey(key)], [from, to])) === 1;
  }

  async releaseKey(key: string, memberId: string): Promise<boolean> {
    return Number(await releaseScript.run(this.client, [this.indexKey(key)], [memberId])) === 1;
  }

  async putAudit(audit: AuditRecord): Promise<void> {
    await this.client.set(`${this.prefix}audit:${audit.id}`, JSON.stringify(audit));
  }

  async getAudit(id: string): Promise<AuditRecord | undefined> {
    const json = await this.client.get(`${this.prefix}audit:${id}`);
    return json === null ? undefined : (JSON.parse(json) as AuditRecord);
  }

  async putSecret(name: string, value: Record<string, unknown>, ttlMs: number): Promise<void> {
    await this.client.set(this.secretKey(name), JSON.stringify(value), {
      expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) },
    });
  }

  async getSecret(name: string): Promise<Record<string, unknown> | undefined> {
    const json = await this.client.get(this.secretKey(name));
    return json === null ? undefined : (JSON.parse(json) as Record<string, unknown>);
  }

  async deleteSecret(name: string): Promise<void> {
    await this.client.del(this.secretKey(name));
  }

  async hit(counter: string, ttlMs: number): Promise<number> {
    return Number(
      await hitScript.run(this.client, [`${this.prefix}rate:${counter}`], [String(Math.ceil(ttlMs))]),
    );
  }

  private memberKey(id: string): string {
    return `${this.prefix}${memberTag(id)}:member`;
  }

  private indexKey(key: string): string {
    return `${this.prefix}key:${key}`;
  }

  /** Secrets named `link:<memberId>` share the member's hash tag. */
  private secretKey(name: string): string {
    const member = /^link:(.+)$/.exec(name)?.[1];
    return member === undefined ? `${this.prefix}secret:${name}` : `${this.prefix}${memberTag(member)}:link`;
  }
}
