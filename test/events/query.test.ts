import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { listEvents } from '../../src/events/query.js';
import { tempDbPath } from '../helpers/temp.js';

describe('listEvents --type', () => {
  it('a family with an underscore in its name (phone_number.*) matches exactly its own types', async () => {
    const db = await openDatabase(tempDbPath());
    try {
      const types = ['phone_number.added', 'phone_number.quality_changed', 'phone_numberx.other', 'phoneanumber.added', 'waba.shared'];
      await db
        .insertInto('event')
        .values(types.map((type, i) => ({ type, source: 'meta', key: String(i), at: '2026-11-01T00:00:00.000Z', run_id: null, before: null, after: null, changes: null })))
        .execute();
      expect((await listEvents(db, { type: 'phone_number.*' })).map((e) => e.type)).toEqual(['phone_number.added', 'phone_number.quality_changed']);
      expect((await listEvents(db, { type: 'phone_number.added' })).map((e) => e.type)).toEqual(['phone_number.added']);
      expect((await listEvents(db, { type: 'waba.' })).map((e) => e.type)).toEqual(['waba.shared']);
    } finally {
      await db.destroy();
    }
  });
});
