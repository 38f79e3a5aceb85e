import { randomBytes } from 'node:crypto';
import type { Storage } from 'botbuilder';
import { hasCode } from '../core/errors.js';
import { StorageErrorCode } from '../storage/errors.js';
import { NEW_ITEM_ETAG } from '../storage/keys.js';

const KEY = 'analytics/hash-key';

/**
 * The key member ids are hashed under: made once per deployment and kept in storage (created only if
 * absent, so two processes starting together agree), so hashes stay stable across restarts and
 * processes — first-contact resolution follows members — without anyone configuring a secret.
 */
export async function loadHashKey(storage: Storage): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const stored = (await storage.read([KEY]))[KEY] as { key?: string } | undefined;
    if (stored?.key) return stored.key;
    try {
      const key = randomBytes(32).toString('base64url');
      await storage.write({ [KEY]: { key, eTag: NEW_ITEM_ETAG } });
      return key;
    } catch (error) {
      if (!hasCode(error, StorageErrorCode.conflict) || attempt >= 3) throw error;
    }
  }
}
