/**
 * Applying a complete pull: compare the staged pull with the current state of the same source,
 * write new versions, close old ones, and write the events — all inside the caller's transaction,
 * so state and events land together or not at all.
 *
 * Memory stays bounded: only staged entities (new, or changed since their current version) are
 * read, in key-ordered batches, parsed and diffed; the keys to remove come from the stager.
 */
import { type ExpressionBuilder, type Transaction, sql } from 'kysely';
import { isPostgres } from '../../db/database.js';
import type { Database, NewEntityVersion, NewEvent } from '../../db/schema.js';
import { diffEntity } from '../diff/diff-entity.js';
import { WabaSyncError } from '../errors.js';
import type { Entity, EventDraft, KindSpec } from '../diff/types.js';
import type { YieldedKeys } from './concurrent-writes.js';
import type { Coverage } from './types.js';

const BATCH = 1000;
const INSERT_CHUNK = 400;

export interface KindCounts {
  seen: number;
  added: number;
  changed: number;
  removed: number;
}

export interface CommitInput {
  readonly source: string;
  readonly runId: number;
  readonly kinds: readonly KindSpec[];
  readonly coverage: Coverage;
  /** When versions become valid: the moment the pull started reading. */
  readonly observedAt: string;
  /** When the events were detected. */
  readonly detectedAt: string;
  /** First complete pull of the source: store everything, one sync.baseline event. */
  readonly baseline: boolean;
  /** A baseline whose rows the stager already wrote as first versions (PostgreSQL, stage.ts): nothing to copy. */
  readonly written?: boolean;
  /** Entities of a kind in the pull, changed or not (only changed and new ones are staged). */
  readonly seen: (kind: string) => number;
  /** Keys of a kind with a current version that the pull did not see, in key order. */
  readonly unseen: (kind: string) => readonly string[];
  /** Entities another pull wrote while this one ran: left as they are (concurrent-writes.ts). */
  readonly yielded?: YieldedKeys;
}

export interface CommitOutcome {
  readonly counts: Record<string, KindCounts>;
  readonly events: number;
  readonly eventTypes: Record<string, number>;
}

export async function commitPull(trx: Transaction<Database>, input: CommitInput): Promise<CommitOutcome> {
  const counts: Record<string, KindCounts> = {};
  let events = 0;
  const eventTypes: Record<string, number> = {};
  const writeEvents = async (drafts: EventDraft[]): Promise<void> => {
    if (input.baseline || drafts.length === 0) return;
    const rows: NewEvent[] = drafts.map((draft) => ({
      type: draft.type,
      source: input.source,
      key: draft.key,
      at: input.detectedAt,
      run_id: input.runId,
      before: draft.before && JSON.stringify(draft.before),
      after: draft.after && JSON.stringify(draft.after),
      changes: draft.changes && JSON.stringify(draft.changes),
    }));
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await trx.insertInto('event').values(rows.slice(i, i + INSERT_CHUNK)).execute();
    }
    events += rows.length;
    for (const row of rows) eventTypes[row.type] = (eventTypes[row.type] ?? 0) + 1;
  };

  for (const spec of input.kinds) {
    const coverage = input.coverage[spec.kind];
    if (!coverage) {
      // Not read as a whole: its staged rows are left uncopied, and a baseline written as it was
      // read (stage.ts) takes back what it wrote of it.
      if (input.written) await trx.deleteFrom('entity_version').where('source', '=', input.source).where('kind', '=', spec.kind).where('run_from', '=', input.runId).execute();
      continue;
    }
    const kindCounts: KindCounts = { seen: 0, added: 0, changed: 0, removed: 0 };
    counts[spec.kind] = kindCounts;
    await applyPresent(trx, input, spec, kindCounts, writeEvents);
    if (coverage === 'complete') await applyRemoved(trx, input, spec, kindCounts, writeEvents);
  }

  if (input.baseline) {
    const entities = Object.fromEntries(Object.entries(counts).map(([kind, c]) => [kind, c.seen]));
    await trx
      .insertInto('event')
      .values({
        type: 'sync.baseline',
        source: input.source,
        key: input.source,
        at: input.detectedAt,
        run_id: input.runId,
        before: null,
        after: JSON.stringify({ entities }),
        changes: null,
      })
      .execute();
    events += 1;
    eventTypes['sync.baseline'] = 1;
  }
  return { counts, events, eventTypes };
}

/**
 * Entities in the pull: new ones get a first version, changed ones a new version. Only those were
 * staged, and a staged row whose hash equals the current version's is skipped all the same; a
 * baseline has no current versions and no per-entity events, so it is copied over in one statement
 * — or, on PostgreSQL, was already written as it was read (stage.ts).
 */
async function applyPresent(
  trx: Transaction<Database>,
  input: CommitInput,
  spec: KindSpec,
  counts: KindCounts,
  writeEvents: (drafts: EventDraft[]) => Promise<void>,
): Promise<void> {
  counts.seen = input.seen(spec.kind);
  if (counts.seen === 0) return;
  if (input.baseline) {
    if (!input.written) await copyBaseline(trx, input, spec);
    counts.added = counts.seen;
    return;
  }

  let after: string | null = null;
  for (;;) {
    const current = (eb: ExpressionBuilder<Database & { p: Database['pull_item'] }, 'p'>) =>
      eb
        .selectFrom('entity_version as c')
        .select(['c.id', 'c.data', 'c.hash'])
        .where('c.source', '=', input.source)
        .whereRef('c.kind', '=', 'p.kind')
        .whereRef('c.key', '=', 'p.key')
        .where('c.valid_to', 'is', null)
        // At most one current version per key: the limit only keeps PostgreSQL from flattening
        // the lookup back into the join it replaces.
        .limit(1)
        .as('v');
    // Each staged row's current version. On PostgreSQL as a LATERAL lookup, one index probe per
    // staged row whatever the planner's statistics say: right after a baseline they still call the
    // tables empty, and the plain join was planned as a nested loop reading every current version
    // once per staged row (46 ms instead of 0.2 ms for 50 rows against 5,000; docs/benchmark.md).
    // SQLite has no LATERAL and plans the join from its indexes alone.
    const joined = isPostgres(trx)
      ? trx.selectFrom('pull_item as p').leftJoinLateral(current, (join) => join.onTrue())
      : trx
          .selectFrom('pull_item as p')
          .leftJoin('entity_version as v', (join) =>
            join.on('v.source', '=', input.source).onRef('v.kind', '=', 'p.kind').onRef('v.key', '=', 'p.key').on('v.valid_to', 'is', null),
          );
    let query = joined
      .select(['p.key', 'p.data', 'p.hash', 'v.id as previousId', 'v.data as previousData'])
      .where('p.run_id', '=', input.runId)
      .where('p.kind', '=', spec.kind)
      .where((eb) => eb.or([eb('v.id', 'is', null), eb('v.hash', '<>', eb.ref('p.hash'))]));
    if (after !== null) query = query.where('p.key', '>', after);
    const items = await query.orderBy('p.key').limit(BATCH).execute();
    if (items.length === 0) return;
    after = items[items.length - 1]!.key;

    const closeIds: number[] = [];
    const inserts: NewEntityVersion[] = [];
    const drafts: EventDraft[] = [];
    for (const item of items) {
      if (input.yielded?.has(spec.kind, item.key)) continue;
      // The stager writes every row with its content; the column is nullable for the schema only.
      if (item.data === null) throw new Error(`${input.source}: ${spec.kind} ${JSON.stringify(item.key)} was staged without its content`);
      const next = { key: item.key, data: item.data, hash: item.hash };
      inserts.push(version(input, spec.kind, next));
      if (item.previousId !== null && item.previousData !== null) {
        closeIds.push(item.previousId);
        counts.changed += 1;
        drafts.push(...diffEntity(spec, item.key, parse(item.previousData), parse(item.data)));
      } else {
        counts.added += 1;
        drafts.push(...diffEntity(spec, item.key, null, parse(item.data)));
      }
    }
    await closeVersions(trx, input, closeIds);
    for (let i = 0; i < inserts.length; i += INSERT_CHUNK) {
      await trx.insertInto('entity_version').values(inserts.slice(i, i + INSERT_CHUNK)).execute();
    }
    await writeEvents(drafts);
  }
}

/** Current entities absent from a complete pull are gone: close their version. */
async function applyRemoved(
  trx: Transaction<Database>,
  input: CommitInput,
  spec: KindSpec,
  counts: KindCounts,
  writeEvents: (drafts: EventDraft[]) => Promise<void>,
): Promise<void> {
  const yielded = input.yielded;
  const keys = yielded && yielded.size > 0 ? input.unseen(spec.kind).filter((key) => !yielded.has(spec.kind, key)) : input.unseen(spec.kind);
  for (let i = 0; i < keys.length; i += BATCH) {
    const chunk = keys.slice(i, i + BATCH);
    const gone = await trx
      .selectFrom('entity_version')
      .select(['id', 'key', 'data'])
      .where('source', '=', input.source)
      .where('kind', '=', spec.kind)
      .where('valid_to', 'is', null)
      .where('key', 'in', chunk)
      .orderBy('key')
      .execute();
    // The snapshot was verified before the commit wrote anything: each key still has its version.
    if (gone.length !== chunk.length) {
      throw new WabaSyncError('INCONSISTENT', `${input.source}: ${spec.kind} versions to close vanished while the pull was committed`);
    }
    counts.removed += gone.length;
    await closeVersions(
      trx,
      input,
      gone.map((row) => row.id),
    );
    await writeEvents(gone.flatMap((row) => diffEntity(spec, row.key, parse(row.data), null)));
  }
}

async function closeVersions(trx: Transaction<Database>, input: CommitInput, ids: number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
    await trx
      .updateTable('entity_version')
      .set({ valid_to: input.observedAt, run_to: input.runId })
      .where('id', 'in', ids.slice(i, i + INSERT_CHUNK))
      .execute();
  }
}

function version(input: CommitInput, kind: string, item: { key: string; data: string; hash: string }): NewEntityVersion {
  return {
    source: input.source,
    kind,
    key: item.key,
    data: item.data,
    hash: item.hash,
    valid_from: input.observedAt,
    valid_to: null,
    run_from: input.runId,
    run_to: null,
  };
}

function parse(data: string): Entity {
  return JSON.parse(data) as Entity;
}

/** A staged baseline copied over as first versions, in key order (through pull_item's key on PostgreSQL, the commit's index on SQLite). */
async function copyBaseline(trx: Transaction<Database>, input: CommitInput, spec: KindSpec): Promise<void> {
  await trx
    .insertInto('entity_version')
    .columns(['source', 'kind', 'key', 'data', 'hash', 'valid_from', 'valid_to', 'run_from', 'run_to'])
    .expression((eb) =>
      eb
        .selectFrom('pull_item')
        .select([
          eb.val(input.source).as('source'),
          'kind',
          'key',
          'data',
          'hash',
          eb.val(input.observedAt).as('valid_from'),
          sql<null>`NULL`.as('valid_to'),
          eb.val(input.runId).as('run_from'),
          sql<null>`NULL`.as('run_to'),
        ])
        .where('run_id', '=', input.runId)
        .where('kind', '=', spec.kind)
        .orderBy('key'),
    )
    .execute();
}
