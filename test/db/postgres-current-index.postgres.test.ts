/**
 * PostgreSQL: the current versions' unique index carries their hash (migration
 * 2026_12_01_0020), so every version written maintains one index fewer. What must not change: a
 * pull still reads the current keys and hashes from an index alone, a second current version of
 * an entity is still refused, and a database upgraded with versions in it keeps them all.
 */
import { type Kysely, Migrator, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { migrations } from '../../db/migrations/index.js';
import { openPostgres } from '../../db/postgres.js';
import type { Database } from '../../db/schema.js';
import { readSnapshot } from '../../src/sync/snapshot.js';
import { freshPostgresUrl } from '../helpers/postgres.js';

const AT = '2026-11-01T00:00:00.000Z';
const MIGRATION = '2026_12_01_0020_postgres_current_index_carries_hash';
const opened: Kysely<any>[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.destroy()));
});

async function indexes(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ definition: string }>`select indexdef as definition from pg_indexes where tablename = 'entity_version' order by indexname`.execute(db);
  return rows.map((row) => row.definition.replace(/ public\./g, ' '));
}

function version(key: string, hash: string, current = true) {
  return { source: 'meta', kind: 'waba', key, data: `{"id":"${key}"}`, hash: hash.padEnd(22, 'h'), valid_from: AT, valid_to: current ? null : AT, run_from: 1, run_to: current ? null : 2 };
}

describe('PostgreSQL: the current versions\' index carries their hash', () => {
  it('has one index of current keys and hashes, reads a snapshot from it alone, and refuses a second current version', async () => {
    const db = await openDatabase(freshPostgresUrl({ empty: true }));
    opened.push(db);
    expect(await indexes(db)).toEqual([
      'CREATE UNIQUE INDEX entity_version_current ON entity_version USING btree (source, kind, key) INCLUDE (hash) WHERE (valid_to IS NULL)',
      'CREATE INDEX entity_version_history ON entity_version USING btree (source, kind, key, valid_from)',
      'CREATE UNIQUE INDEX entity_version_pkey ON entity_version USING btree (id)',
    ]);

    await db.insertInto('entity_version').values([version('2', 'b'), version('1', 'a'), version('3', 'c', false)]).execute();
    await expect(db.insertInto('entity_version').values(version('1', 'z')).execute()).rejects.toThrow(/entity_version_current/);
    // A closed version of the same key is history, not a second current one.
    await db.insertInto('entity_version').values(version('1', 'y', false)).execute();

    const snapshot = await readSnapshot(db as Kysely<Database>, 'meta', ['waba']);
    expect(snapshot.kinds.get('waba')!.unseen()).toEqual(['1', '2']);
    expect(snapshot.kinds.get('waba')!.hashMatches(0, 'a'.padEnd(22, 'h'))).toBe(true);
    expect(snapshot.kinds.get('waba')!.hashMatches(1, 'b'.padEnd(22, 'h'))).toBe(true);

    // The snapshot's query (keys and hashes in key order) never visits the table's rows.
    await sql`vacuum analyze entity_version`.execute(db);
    // Five rows: without this the planner would rightly read the table itself.
    const plan = await db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      return sql<{ 'QUERY PLAN': string }>`explain select key, hash from entity_version where source = 'meta' and kind = 'waba' and valid_to is null order by key limit 1000`.execute(trx);
    });
    expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/Index Only Scan using entity_version_current on entity_version/);
  });

  it('upgrades a database holding versions: every version kept, the same snapshot, and back down to the two indexes', async () => {
    const url = freshPostgresUrl({ empty: true });
    const older = await openPostgres(url);
    opened.push(older);
    const migrator = new Migrator({ db: older, provider: { getMigrations: async () => migrations } });
    const names = Object.keys(migrations);
    expect((await migrator.migrateTo(names[names.indexOf(MIGRATION) - 1]!)).error).toBeUndefined();
    const before = await indexes(older);
    expect(before).toContain('CREATE INDEX entity_version_current_hash ON entity_version USING btree (source, kind, key, hash) WHERE (valid_to IS NULL)');
    await older.insertInto('entity_version').values([version('1', 'a'), version('2', 'b'), version('2', 'x', false)]).execute();
    const snapshotBefore = await readSnapshot(older, 'meta', ['waba']);

    expect((await migrator.migrateTo(MIGRATION)).error).toBeUndefined();
    expect(await indexes(older)).toHaveLength(3);
    expect(await older.selectFrom('entity_version').select(['key', 'hash', 'valid_to']).orderBy('id').execute()).toHaveLength(3);
    const snapshotAfter = await readSnapshot(older, 'meta', ['waba']);
    expect(snapshotAfter.kinds.get('waba')!.unseen()).toEqual(snapshotBefore.kinds.get('waba')!.unseen());
    expect(snapshotAfter.kinds.get('waba')!.hashMatches(1, 'b'.padEnd(22, 'h'))).toBe(true);
    await expect(older.insertInto('entity_version').values(version('2', 'z')).execute()).rejects.toThrow(/entity_version_current/);

    expect((await migrator.migrateTo(names[names.indexOf(MIGRATION) - 1]!)).error).toBeUndefined();
    expect(await indexes(older)).toEqual(before);
  });
});
