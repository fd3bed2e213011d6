import * as crypto from 'node:crypto';

/** JSON with object keys sorted, so equal values have equal text and equal hashes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
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
