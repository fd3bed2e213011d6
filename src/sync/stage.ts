/** Staging: a pull's pages land in pull_item as they stream in, before anything is compared. */
import type { Db } from '../../db/database.js';
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
): Promise<void> {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.key)) throw duplicate(source, kind, item.key);
    seen.add(item.key);
  }
  const rows = items.map((item) => {
    const data = canonicalJson(item.data);
    return { run_id: runId, kind, key: item.key, data, hash: contentHash(data) };
  });
  try {
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        await trx.insertInto('pull_item').values(rows.slice(i, i + CHUNK)).execute();
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

function duplicate(source: string, kind: string, key: string, cause?: unknown): WabaSyncError {
  return new WabaSyncError('INCONSISTENT', `${source}: ${kind} ${JSON.stringify(key)} appears twice in one pull`, { cause });
}

export async function clearStaging(db: Db, runId: number): Promise<void> {
  await db.deleteFrom('pull_item').where('run_id', '=', runId).execute();
}
