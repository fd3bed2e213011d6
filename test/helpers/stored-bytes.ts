/**
 * Everything a test database holds, as text, to search for what must never be stored (secrets):
 * the SQLite file and its -wal/-shm beside it, or every row of every table of a PostgreSQL database.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { backendOf } from '../../db/url.js';

export async function storedText(databaseUrl: string): Promise<string[]> {
  if (backendOf(databaseUrl) === 'sqlite') {
    const folder = dirname(databaseUrl);
    return readdirSync(folder).map((name) => readFileSync(join(folder, name)).toString('latin1'));
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = current_schema()`);
    const texts: string[] = [];
    for (const { name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`select row_to_json(t)::text as row from "${name}" t`);
      texts.push(rows.rows.map((r) => r.row).join('\n'));
    }
    return texts;
  } finally {
    await client.end();
  }
}
