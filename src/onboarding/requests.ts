/**
 * What waba-sync itself did to 99digital onboarding links (`onboarding_request`): who created a
 * link and when, and who deleted it. A record of our actions only — never a source of events: the
 * link's `onboarding.created` comes from the next pull, like any other link's.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

type Writer = Kysely<Database>;

export interface CreatedRecord {
  readonly onboardingLink: string;
  readonly number: string;
  readonly coexistence: boolean;
  readonly reference: string | null;
  readonly businessName: string;
  readonly by: string;
  readonly at: string;
}

export async function recordCreated(db: Writer, record: CreatedRecord): Promise<void> {
  await db
    .insertInto('onboarding_request')
    .values({
      onboarding_link: record.onboardingLink,
      number: record.number,
      coexistence: record.coexistence ? 1 : 0,
      reference: record.reference,
      business_name: record.businessName,
      created_by: record.by,
      created_at: record.at,
      deleted_by: null,
      deleted_at: null,
    })
    // The provider gave an existing link back (it was deleted and made again): the latest creation counts.
    .onConflict((oc) => oc.column('onboarding_link').doUpdateSet({ number: record.number, created_by: record.by, created_at: record.at, deleted_by: null, deleted_at: null }))
    .execute();
}

/** Marks the open link of this number (ours, if we created it) as deleted by `by`. */
export async function recordDeleted(db: Writer, number: string, by: string, at: string): Promise<void> {
  await db.updateTable('onboarding_request').set({ deleted_by: by, deleted_at: at }).where('number', '=', number).where('deleted_at', 'is', null).execute();
}

/** Who created each link waba-sync created, by link. */
export async function creators(db: Writer): Promise<Map<string, { by: string; at: string }>> {
  const rows = await db.selectFrom('onboarding_request').select(['onboarding_link', 'created_by', 'created_at']).execute();
  return new Map(rows.map((row) => [row.onboarding_link, { by: row.created_by, at: row.created_at }]));
}
