/** Per source: the last run, the last complete one (and complete full one), failures since, and what we hold. */
import type { Db } from '../db/database.js';
import type { SyncRunRow } from '../db/schema.js';
import type { SourceName } from './config.js';
import { lastCompleteRun } from './sync/ledger.js';

export interface SourceStatus {
  source: SourceName;
  enabled: boolean;
  disabledReason: string | null;
  lastRun: SyncRunRow | null;
  lastComplete: SyncRunRow | null;
  /** The last complete full pull: for Meta, incremental pulls completing say nothing about it. */
  lastCompleteFull: SyncRunRow | null;
  failuresSinceComplete: number;
  entities: Record<string, number>;
}

export async function sourceStatus(db: Db, source: SourceName, disabledReason: string | null): Promise<SourceStatus> {
  const lastRun = (await db.selectFrom('sync_run').selectAll().where('source', '=', source).orderBy('id', 'desc').limit(1).executeTakeFirst()) ?? null;
  const lastComplete = (await lastCompleteRun(db, source)) ?? null;
  const lastCompleteFull = lastComplete?.mode === 'full' ? lastComplete : ((await lastCompleteRun(db, source, 'full')) ?? null);
  const failures = await db
    .selectFrom('sync_run')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('source', '=', source)
    .where('outcome', '=', 'failed')
    .where('id', '>', lastComplete?.id ?? 0)
    .executeTakeFirstOrThrow();
  const kinds = await db
    .selectFrom('entity_version')
    .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
    .where('source', '=', source)
    .where('valid_to', 'is', null)
    .groupBy('kind')
    .execute();
  return {
    source,
    enabled: disabledReason === null,
    disabledReason,
    lastRun,
    lastComplete,
    lastCompleteFull,
    failuresSinceComplete: Number(failures.n),
    entities: Object.fromEntries(kinds.map((k) => [k.kind, Number(k.n)])),
  };
}
