/**
 * What waba-sync itself did to 99digital onboarding links (`onboarding_request`): who created a
 * link and when, and who deleted it. A record of our actions only — never a source of events: the
 * link's `onboarding.created` comes from the next pull, like any other link's.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

type Writer = Kysely<Database>;

/** The link 99digital created, as its client returns it. */
export interface CreatedLink {
  readonly onboardingLink: string;
  readonly whatsapp: string;
  readonly coexistence: boolean;
}

/** Records a link we created: what 99digital returned, the reference and name we asked for, who and when. */
export async function recordCreated(db: Writer, link: CreatedLink, asked: { readonly reference?: string; readonly business_name?: string }, by: string, at: string): Promise<void> {
  await db
    .insertInto('onboarding_request')
    .values({
      onboarding_link: link.onboardingLink,
      number: link.whatsapp,
      coexistence: link.coexistence ? 1 : 0,
      reference: asked.reference ?? null,
      business_name: asked.business_name ?? '',
      created_by: by,
      created_at: at,
      deleted_by: null,
      deleted_at: null,
    })
    // The provider gave an existing link back (it was deleted and made again): the latest creation counts.
    .onConflict((oc) => oc.column('onboarding_link').doUpdateSet({ number: link.whatsapp, created_by: by, created_at: at, deleted_by: null, deleted_at: null }))
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
