/**
 * A PostgreSQL database created with a language collation (here ICU en-US, where "a" < "B" and
 * punctuation is nearly ignored) still orders, ranges and pages our text as SQLite does, by bytes:
 * the migrations make our text columns COLLATE "C".
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { listEvents } from '../../src/events/query.js';
import { readSnapshot } from '../../src/sync/snapshot.js';
import { freshPostgresUrl } from '../helpers/postgres.js';

const AT = '2026-11-01T00:00:00.000Z';

describe('PostgreSQL with a language collation', () => {
  it('orders keys and event types by bytes, as SQLite does', async () => {
    const db = await openDatabase(freshPostgresUrl({ icuLocale: 'en-US' }));
    try {
      const keys = ['b', 'B', 'a', 'A', '_x', 'é', 'z-1', 'z1'];
      await db
        .insertInto('entity_version')
        .values(keys.map((key, i) => ({ source: 'meta', kind: 'waba', key, data: '{}', hash: `${i}`.padEnd(22, 'h'), valid_from: AT, valid_to: null, run_from: 1, run_to: null })))
        .execute();
      const byteOrder = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect(byteOrder).toEqual(['A', 'B', '_x', 'a', 'b', 'z-1', 'z1', 'é']);
      const ordered = await db.selectFrom('entity_version').select('key').orderBy('key').execute();
      expect(ordered.map((row) => row.key)).toEqual(byteOrder);
      const snapshot = await readSnapshot(db, 'meta', ['waba']);
      expect(snapshot.kinds.get('waba')!.unseen()).toEqual(byteOrder);

      // A family is a range of types: under en-US, "phone_number.x" would fall between "phone" ones.
      const types = ['phone_number.added', 'phonenumber.added', 'phone-number.added', 'Phone_number.added', 'phone_number.quality_changed'];
      await db
        .insertInto('event')
        .values(types.map((type, i) => ({ type, source: 'meta', key: String(i), at: AT, run_id: null, before: null, after: null, changes: null })))
        .execute();
      expect((await listEvents(db, { type: 'phone_number.*' })).map((e) => e.type)).toEqual(['phone_number.added', 'phone_number.quality_changed']);
    } finally {
      await db.destroy();
    }
  });
});

describe('every text column of every table', () => {
  it('compares by bytes after the migrations, whatever table added it', async () => {
    const db = await openDatabase(freshPostgresUrl({ icuLocale: 'en-US' }));
    try {
      const { sql } = await import('kysely');
      const { rows } = await sql<{ table_name: string; column_name: string; collation_name: string | null }>`
        select c.table_name, c.column_name, c.collation_name from information_schema.columns c
        join information_schema.tables t on t.table_name = c.table_name and t.table_schema = c.table_schema and t.table_type = 'BASE TABLE'
        where c.table_schema = current_schema() and c.data_type = 'text' and c.table_name not like 'kysely\\_%'`.execute(db);
      expect(rows.length).toBeGreaterThan(20);
      expect(rows.filter((row) => row.collation_name !== 'C').map((row) => `${row.table_name}.${row.column_name}`)).toEqual([]);
    } finally {
      await db.destroy();
    }
  });
});
