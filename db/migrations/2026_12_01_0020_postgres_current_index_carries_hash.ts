/**
 * Frozen in time: never edit after release; add a new migration instead.
 * PostgreSQL only: the current versions' unique index carries their hash (`INCLUDE`), in place of
 * the separate index of the current keys and hashes (2026_11_22_0050). A pull still reads the
 * keys and hashes from one index, in key order, without visiting the rows, and every version
 * written — a baseline's 200,000 at scale 1 — maintains one index fewer: a fifth of what
 * PostgreSQL spends writing a baseline (docs/benchmark.md, "PostgreSQL"). SQLite has no INCLUDE
 * and keeps both. The swap is one transaction: building the index holds off writes to
 * `entity_version`, and dropping the old ones then locks it against readers too until the
 * migration commits (docs/production.md, "Upgrades").
 */
import { type Kysely, PostgresAdapter, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`create unique index entity_version_current_with_hash on entity_version (source, kind, key) include (hash) where valid_to is null`.execute(db);
  await sql`drop index entity_version_current_hash`.execute(db);
  await sql`drop index entity_version_current`.execute(db);
  await sql`alter index entity_version_current_with_hash rename to entity_version_current`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`create unique index entity_version_current_keys on entity_version (source, kind, key) where valid_to is null`.execute(db);
  await sql`create index entity_version_current_hash on entity_version (source, kind, key, hash) where valid_to is null`.execute(db);
  await sql`drop index entity_version_current`.execute(db);
  await sql`alter index entity_version_current_keys rename to entity_version_current`.execute(db);
}
