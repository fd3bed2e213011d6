/**
 * Where the other upstreams have phone numbers, for an onboarding's later steps: every enabled
 * upstream (but the one asking) that offers the `phone_number` join (src/sources/upstream.ts), with
 * a complete pull, gives the digits of its current entities and when each entity was first seen.
 * A disabled upstream's stale state is never used, as for the reconciliation checks.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { digitsOf, type PhoneSightings } from '../sources/digital99/lifecycle.js';
import { UPSTREAMS } from '../sources/registry.js';
import { lastCompleteRun } from '../sync/ledger.js';

export async function phoneSightings(db: Kysely<Database>, options: { readonly except: string; readonly enabled: readonly string[] }): Promise<PhoneSightings[]> {
  const sightings: PhoneSightings[] = [];
  for (const upstream of UPSTREAMS) {
    if (upstream.name === options.except || !options.enabled.includes(upstream.name)) continue;
    const offers = upstream.joins.filter((offer) => offer.join === 'phone_number');
    if (offers.length === 0 || !(await lastCompleteRun(db, upstream.name))) continue;
    const firstSeen = new Map<string, string>();
    for (const offer of offers) {
      const rows = await db
        .selectFrom('entity_version')
        .select(['key', 'data', 'valid_from', 'valid_to'])
        .where('source', '=', upstream.name)
        .where('kind', '=', offer.kind)
        .orderBy('key')
        .orderBy('valid_from')
        .execute();
      const firstOfKey = new Map<string, string>();
      for (const row of rows) {
        if (!firstOfKey.has(row.key)) firstOfKey.set(row.key, row.valid_from);
        if (row.valid_to !== null) continue;
        for (const value of offer.values(row.key, JSON.parse(row.data) as Record<string, unknown>)) {
          const digits = digitsOf(value);
          const at = firstOfKey.get(row.key)!;
          if (digits && (!firstSeen.has(digits) || at < firstSeen.get(digits)!)) firstSeen.set(digits, at);
        }
      }
    }
    sightings.push({ label: upstream.label, firstSeen });
  }
  return sightings;
}
