/**
 * Pulls of one source that overlap: a full (or incremental) pull holds `sync:<source>` for
 * minutes, while targeted pulls — a webhook's few entities — run beside it under
 * `webhook:<source>`, so a change that arrives by webhook is an event within seconds. Which of two
 * overlapping pulls is right about an entity both read can't be known (each read it at some moment
 * while it ran), so the rule is: **the first to commit wins; the later one leaves every entity the
 * first one wrote after the later one started, and the next pull compares it again.** Nothing is
 * reported twice (the later pull would report the earlier one's change again, backwards) and
 * nothing is lost (whatever the later pull knew better, the next pull finds).
 *
 * What "wrote after we started" means:
 * - New versions: commits of one source are serialized (`commit:<source>`, db/serialize.ts), so
 *   every version of it a pull can't have seen has an id above the table's newest id when it
 *   started (`newestVersionId`).
 * - Versions only closed (an entity a full pull found gone): only full pulls remove, so only a
 *   targeted pull must look for them, among the few keys it staged: closed by a run that was
 *   running when it started or started after it.
 */
import type { Kysely, Transaction } from 'kysely';
import { serializeOn } from '../../db/serialize.js';
import type { Database } from '../../db/schema.js';
import { WabaSyncError } from '../errors.js';

/**
 * The newest version id of any source (0 when none), read before a pull reads its upstream, once
 * no commit of `source` is in flight: every version of the source committed later then has a
 * higher id (PostgreSQL hands ids out in time order, and the source's commits wait for each other;
 * SQLite commits one at a time). The table's newest id is one index step on both backends, where
 * "the newest of this source" could walk back through every other source's rows.
 */
export async function newestVersionId(db: Kysely<Database>, source: string): Promise<number> {
  // READ COMMITTED: the read after the wait sees what the waited-for commit wrote.
  return db.transaction().execute(async (trx) => {
    await serializeOn(trx, `commit:${source}`);
    const row = await trx.selectFrom('entity_version').select((eb) => eb.fn.max('id').as('maxId')).executeTakeFirst();
    return row?.maxId == null ? 0 : Number(row.maxId);
  });
}

/** Entities (kind → keys) a pull must leave alone at its commit. */
export class YieldedKeys {
  private readonly byKind = new Map<string, Set<string>>();

  add(kind: string, key: string): void {
    (this.byKind.get(kind) ?? this.byKind.set(kind, new Set()).get(kind)!).add(key);
  }

  has(kind: string, key: string): boolean {
    return this.byKind.get(kind)?.has(key) ?? false;
  }

  get size(): number {
    let n = 0;
    for (const keys of this.byKind.values()) n += keys.size;
    return n;
  }
}

export interface PullStart {
  readonly source: string;
  readonly runId: number;
  /** The source's newest version id when the pull started (newestVersionId). */
  readonly newestId: number;
  readonly scope: 'all' | 'targeted';
  /** Targeted pulls: runs of the source with scope `all` that were running when it started. */
  readonly runningAtStart?: readonly number[];
}

/**
 * In the commit's transaction: waits for any other commit of the source, then says which entities
 * others wrote since `start`. A pull with scope `all` accepts only targeted pulls' writes there;
 * anything else means a writer ignored the lease, and the pull fails (INCONSISTENT).
 */
export async function yieldedSince(
  trx: Transaction<Database>,
  start: PullStart,
  /** Targeted pulls: the keys they staged (the only ones whose removal could collide). */
  staged?: ReadonlyMap<string, readonly string[]>,
): Promise<YieldedKeys> {
  await serializeOn(trx, `commit:${start.source}`);
  const yielded = new YieldedKeys();
  // By id alone, the source picked out here: a range of the primary key (what every source wrote
  // since — little), where a condition on the source would have the planners walk all its versions.
  const written = await trx
    .selectFrom('entity_version as v')
    .leftJoin('sync_run as r', 'r.id', 'v.run_from')
    .select(['v.source', 'v.kind', 'v.key', 'r.scope'])
    .where('v.id', '>', start.newestId)
    .execute();
  for (const row of written) {
    if (row.source !== start.source) continue;
    if (start.scope === 'all' && row.scope !== 'targeted') {
      throw new WabaSyncError(
        'INCONSISTENT',
        `${start.source}: its current versions changed in the database while the pull was staged (${row.kind} ${JSON.stringify(row.key)} was written by another pull); another process wrote them`,
      );
    }
    yielded.add(row.kind, row.key);
  }
  if (start.scope === 'targeted' && staged && staged.size > 0) {
    const concurrent = trx
      .selectFrom('sync_run')
      .select('id')
      .where('source', '=', start.source)
      .where('scope', '=', 'all')
      .where((eb) => eb.or([eb('id', '>', start.runId), ...(start.runningAtStart?.length ? [eb('id', 'in', start.runningAtStart)] : [])]));
    for (const [kind, keys] of staged) {
      for (let i = 0; i < keys.length; i += 500) {
        const closed = await trx
          .selectFrom('entity_version')
          .select('key')
          .where('source', '=', start.source)
          .where('kind', '=', kind)
          .where('key', 'in', keys.slice(i, i + 500))
          .where('run_to', 'in', concurrent)
          .execute();
        for (const row of closed) yielded.add(kind, row.key);
      }
    }
  }
  return yielded;
}
