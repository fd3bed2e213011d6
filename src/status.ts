/** Per source: the last run, the last complete one (and complete full one), failures since, and what we hold. */
import type { Db } from '../db/database.js';
import type { SyncRunRow } from '../db/schema.js';
import type { SourceName } from './config.js';
import { failuresSinceLastComplete, lastCompleteRun, lastRun } from './sync/ledger.js';

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
  const last = (await lastRun(db, source)) ?? null;
  const failures = await failuresSinceLastComplete(db, source);
  const lastComplete = failures.lastComplete ?? null;
  const lastCompleteFull = lastComplete?.mode === 'full' ? lastComplete : ((await lastCompleteRun(db, source, 'full')) ?? null);
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
    lastRun: last,
    lastComplete,
    lastCompleteFull,
    failuresSinceComplete: failures.failures.length,
    entities: Object.fromEntries(kinds.map((k) => [k.kind, Number(k.n)])),
  };
}
