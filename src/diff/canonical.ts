import * as crypto from 'node:crypto';

/**
 * JSON with object keys sorted, so equal values have equal text and equal hashes. A value already
 * in that order (no undefined members either) is written as it is: checking costs a fraction of
 * copying, and the sources build their biggest kinds in key order for this.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(isCanonical(value) ? value : sortKeys(value));
}

/** Whether `value` is already canonical: plain objects with their keys in sorted order, no undefined members. */
export function isCanonical(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    for (const item of value) if (item === undefined || !isCanonical(item)) return false;
    return true;
  }
  // Anything but a plain object (a Date, say) takes the copying path, which writes it as before.
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  let previous: string | null = null;
  for (const key in value) {
    if (!Object.hasOwn(value, key) || (previous !== null && !(previous < key))) return false;
    previous = key;
    const inner = (value as Record<string, unknown>)[key];
    if (inner === undefined || !isCanonical(inner)) return false;
  }
  return true;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    // No prototype: a "__proto__" key from a parsed payload stays an ordinary member.
    const out: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value).sort()) {
      const inner = (value as Record<string, unknown>)[key];
      if (inner !== undefined) out[key] = sortKeys(inner);
    }
    return out;
  }
  return value;
}

/** Characters of a content hash. */
export const HASH_LENGTH = 22;

/** SHA-256 of the canonical text, base64url, first 22 characters (132 bits). */
export function contentHash(canonical: string): string {
  // The one-shot crypto.hash (Node 20.12+) is several times cheaper than a Hash object for short input.
  const digest = oneShot ? oneShot('sha256', canonical, 'base64url') : crypto.createHash('sha256').update(canonical).digest('base64url');
  return digest.slice(0, HASH_LENGTH);
}

const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;
