/**
 * The `current_entity` view BI tools read: one row per entity that exists now (its current
 * version), with source, kind, key, data and valid_from — on either backend.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { digital99Harness } from '../helpers/digital99.js';

interface CurrentEntityRow {
  source: string;
  kind: string;
  key: string;
  data: string;
  valid_from: string;
}

describe('current_entity', () => {
  it('holds each existing entity once, as it is now; a removed one is gone', async () => {
    const h = await digital99Harness();
    const kept = h.world.addNumber({ display_name: 'Kept' });
    const removed = h.world.addNumber({ display_name: 'Removed' });
    await h.sync();
    h.world.updateNumber(kept.whatsapp, { display_name: 'Kept, renamed' });
    h.world.removeNumber(removed.whatsapp);
    const second = await h.sync();
    expect(second.outcome).toBe('complete');

    const rows = (await sql<CurrentEntityRow>`select * from current_entity where kind = 'number' order by key`.execute(h.app.db)).rows;
    expect(rows.map((row) => Object.keys(row).sort())).toEqual([['data', 'key', 'kind', 'source', 'valid_from']]);
    expect(rows).toEqual([{ source: 'digital99', kind: 'number', key: kept.whatsapp, data: expect.any(String), valid_from: expect.any(String) }]);
    expect(JSON.parse(rows[0]!.data)).toMatchObject({ whatsapp: kept.whatsapp, display_name: 'Kept, renamed' });
    // Valid from the pull that saw the rename, not the first one.
    const versions = await h.app.db.selectFrom('entity_version').select('valid_from').where('kind', '=', 'number').where('key', '=', kept.whatsapp).orderBy('id').execute();
    expect(rows[0]!.valid_from).toBe(versions[1]!.valid_from);
  });
});
