/**
 * Keyed fingerprints of secrets we must notice changing (e.g. a number's apiKey) without keeping
 * them. HMAC-SHA256 under FINGERPRINT_SECRET, or under a random key generated once and kept in the
 * database when that is unset (set it to keep the key apart from the data).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';

export type Fingerprint = (secret: string) => string;

const SETTING = 'fingerprint_key';

export async function loadFingerprint(db: Db, configuredSecret: string | null): Promise<Fingerprint> {
  const key = configuredSecret ?? (await storedKey(db));
  return (secret) => `hmac:${createHmac('sha256', key).update(secret).digest('base64url').slice(0, 22)}`;
}

/**
 * Reads the key, and writes one only when there is none yet: every start reads, so a start never
 * needs the write lock another process may be holding (a one-shot sync next to a daemon's pull).
 * Two first starts racing both insert-or-ignore, and both read back the one that won.
 */
async function storedKey(db: Db): Promise<string> {
  const read = () => db.selectFrom('app_setting').select('value').where('name', '=', SETTING).executeTakeFirst();
  const existing = await read();
  if (existing) return existing.value;
  await db
    .insertInto('app_setting')
    .values({ name: SETTING, value: randomBytes(32).toString('base64url') })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  return (await read())!.value;
}
