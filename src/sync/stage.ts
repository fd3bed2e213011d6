/**
 * Staging: a pull's pages land in pull_item as they stream in, before anything is compared.
 *
 * An entity whose content hash equals its current version's is staged as key and hash only (data
 * NULL): in a full pull of a mostly unchanged fleet that is nearly every entity, so staging writes
 * a few bytes per entity and the commit reads back only what changed. The commit checks the hash
 * again, so a version that moved in between can't be missed (see commit.ts).
 */
import type { Transaction } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { canonicalJson, contentHash } from '../diff/canonical.js';
import { WabaSyncError } from '../errors.js';
import type { StagedEntity } from './types.js';

const CHUNK = 500;

export async function stageItems(
  db: Db,
  source: string,
  runId: number,
  kind: string,
  items: readonly StagedEntity[],
  /** False when the source has no current versions yet (its first complete pull): nothing to compare. */
  compare = true,
): Promise<void> {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.key)) throw duplicate(source, kind, item.key);
    seen.add(item.key);
  }
  const rows = items.map((item) => {
    const data = canonicalJson(item.data);
    return { run_id: runId, kind, key: item.key, data: data as string | null, hash: contentHash(data) };
  });
  try {
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        const chunk = rows.slice(i, i + CHUNK);
        if (compare) await markUnchanged(trx, source, kind, chunk);
        await trx.insertInto('pull_item').values(chunk).execute();
      }
    });
  } catch (error) {
    if (/UNIQUE|duplicate key/i.test(String((error as Error).message))) {
      const keys = await db
        .selectFrom('pull_item')
        .select('key')
        .where('run_id', '=', runId)
        .where('kind', '=', kind)
        .where('key', 'in', [...seen].slice(0, 30_000))
        .limit(1)
        .executeTakeFirst();
      throw duplicate(source, kind, keys?.key ?? '?', error);
    }
    throw error;
  }
}

/** Rows whose hash equals their current version's keep only key and hash. */
async function markUnchanged(trx: Transaction<Database>, source: string, kind: string, rows: { key: string; data: string | null; hash: string }[]): Promise<void> {
  const current = await trx
    .selectFrom('entity_version')
    .select(['key', 'hash'])
    .where('source', '=', source)
    .where('kind', '=', kind)
    .where('valid_to', 'is', null)
    .where(
      'key',
      'in',
      rows.map((row) => row.key),
    )
    .execute();
  const currentHash = new Map(current.map((row) => [row.key, row.hash]));
  for (const row of rows) if (currentHash.get(row.key) === row.hash) row.data = null;
}

function duplicate(source: string, kind: string, key: string, cause?: unknown): WabaSyncError {
  return new WabaSyncError('INCONSISTENT', `${source}: ${kind} ${JSON.stringify(key)} appears twice in one pull`, { cause });
}

export async function clearStaging(db: Db, runId: number): Promise<void> {
  await db.deleteFrom('pull_item').where('run_id', '=', runId).execute();
}
