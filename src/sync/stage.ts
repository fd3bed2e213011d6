/**
 * Staging: a pull's pages land in pull_item as they stream in, before anything is compared with
 * what is applied.
 *
 * Each page is first compared with the snapshot of the current versions (snapshot.ts): an entity
 * whose content hash equals its current version's is only marked seen — in a full pull of a
 * mostly unchanged fleet that is nearly every entity, so such a pull writes almost nothing and the
 * commit reads back only what changed. What the snapshot holds and the pull did not see is what a
 * complete pull removes.
 *
 * Staged rows are written in batches of a few thousand, one transaction each: a transaction per
 * page rewrote the same b-tree pages into the WAL page after page and cost more than the rows
 * themselves. Rows wait in memory only until the batch is full or for at most MAX_QUEUED_MS (a
 * bounded amount, never the fleet); the run writes the rest with `flush()` before it commits, and a
 * failed pull's rows, written or not, are thrown away.
 *
 * A baseline on PostgreSQL (the source's first complete pull) skips pull_item: with no current
 * versions there is nothing to compare, so its rows go straight into entity_version inside the
 * one transaction its commit will end (`DirectTarget`). Nobody sees them before that commit, a
 * failed pull rolls them back, and each row is written once instead of twice. SQLite, one writer
 * for the whole file, can't keep a write transaction open for a pull's length: it stages.
 */
import { CompiledQuery, type Transaction, sql } from 'kysely';
import { type Db, isPostgres, sqliteTempDirectory } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { canonicalJson, contentHash } from '../diff/canonical.js';
import { WabaSyncError } from '../errors.js';
import type { BaselineTransaction } from './baseline-transaction.js';
import type { KindSnapshot, SourceSnapshot } from './snapshot.js';
import type { StagedEntity } from './types.js';

/** Rows per write transaction. */
const BATCH_ROWS = 4000;
/** Rows per INSERT statement (5 parameters each; SQLite allows 32,766, PostgreSQL 65,535). */
const INSERT_CHUNK = 1000;
/** Keys per lookup when naming a duplicate. */
const LOOKUP_CHUNK = 1000;
/**
 * Queued rows are written after this long even when the batch is not full: a slow upstream still
 * streams into the database. Not much shorter: a pull that finds few changes (most polls) would
 * write them a handful at a time, a transaction each, and on PostgreSQL each one a round trip the
 * pull's other work waits behind (docs/benchmark.md, "PostgreSQL").
 */
const MAX_QUEUED_MS = 1000;

interface StagedRow {
  run_id: number;
  kind: string;
  key: string;
  data: string;
  hash: string;
}

export interface Stager {
  /** Compare a page with the current versions and queue its rows; resolves once they are accepted. */
  stage(kind: string, items: readonly StagedEntity[]): Promise<void>;
  /** Entities of `kind` in the pull so far, changed or not. */
  seen(kind: string): number;
  /** Keys of `kind` with a current version that the pull did not see, in key order. */
  unseen(kind: string): string[];
  /** Throws away what was staged and seen of `kind`, so it can be read again from the start. */
  discard(kind: string): Promise<void>;
  /** Write every queued row; throws what any write threw. */
  flush(): Promise<void>;
  /** Refuse further pages and wait for writes under way (before a failed pull's rows are cleared). */
  close(): Promise<void>;
  /**
   * The keys of `kind` staged as new or changed, with their hashes — what the commit will write —
   * or null when they were not kept: no snapshot to compare with, or more than MAX_KEPT_CHANGES
   * (the snapshot is then read again by the source's next pull rather than held twice).
   */
  changed(kind: string): ReadonlyMap<string, string> | null;
}

/** Changed rows kept for the snapshot cache (snapshot.ts) at most, across kinds: ≈ 100 bytes each. */
const MAX_KEPT_CHANGES = 50_000;

/** A PostgreSQL baseline's rows written as first versions, in the transaction that commits the pull. */
export interface DirectTarget {
  readonly transaction: BaselineTransaction;
  /** The versions' valid_from: when the pull started reading. */
  readonly observedAt: string;
}

export function createStager(
  db: Db,
  source: string,
  runId: number,
  /** The current versions, or null when the source has none yet (its first complete pull): nothing to compare. */
  snapshot: SourceSnapshot | null,
  /** Wraps every write (the caller times storing with it). */
  around: (work: () => Promise<void>) => Promise<void> = (work) => work(),
  /** Write the rows as first versions instead of staging them (a PostgreSQL baseline). */
  direct?: DirectTarget,
): Stager {
  let queued: StagedRow[] = [];
  /**
   * Keys per kind among the queued rows; keys already written are guarded by pull_item's primary
   * key on PostgreSQL, and on SQLite found when the commit indexes them (`prepareStagedForCommit`).
   * Written straight into entity_version, a key met twice must be caught before its insert (a
   * unique violation would abort the whole transaction), so every key of the pull is kept.
   */
  let queuedKeys = new Map<string, Set<string>>();
  let writes: Promise<void> = Promise.resolve();
  let folderChecked = false;
  let failure: unknown = null;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  const seenPerKind = new Map<string, number>();
  /** Staged keys and hashes per kind, for the snapshot cache; null once not kept. */
  let changes: Map<string, Map<string, string>> | null = snapshot && !direct ? new Map() : null;
  let keptChanges = 0;

  const writeQueued = (): Promise<void> => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (queued.length === 0) return writes;
    // In key order: the rows of a batch then sit next to each other in the table, so the commit,
    // which copies a baseline over in key order, reads the table in runs instead of one page per
    // row (docs/benchmark.md, "Pulls at the speed of the network").
    const rows = queued.sort(byKindAndKey);
    queued = [];
    if (!direct) queuedKeys = new Map();
    writes = writes.then(async () => {
      if (failure !== null) return;
      try {
        if (!direct && !folderChecked) {
          requireStagingFolder(db, source);
          folderChecked = true;
        }
        await around(() => (direct ? writeVersions(direct, source, runId, rows) : writeRows(db, source, runId, rows)));
      } catch (error) {
        failure = error;
      }
    });
    return writes;
  };
  const rethrow = () => {
    if (failure !== null) throw failure;
  };

  return {
    async stage(kind, items) {
      if (closed) throw new WabaSyncError('ABORTED', `${source}: staging closed`);
      rethrow();
      const seen = new Set<string>();
      for (const item of items) {
        if (seen.has(item.key)) throw duplicate(source, kind, item.key);
        seen.add(item.key);
      }
      const current: KindSnapshot | undefined = snapshot?.kinds.get(kind);
      const rows: StagedRow[] = [];
      for (const item of items) {
        // A prepared entity was written and hashed where its page was read (src/sources/prepared.ts).
        const data = 'text' in item ? item.text : canonicalJson(item.data);
        const hash = 'text' in item ? item.hash : contentHash(data);
        const index = current ? current.indexOf(item.key) : -1;
        if (index >= 0) {
          if (!current!.markSeen(index)) throw duplicate(source, kind, item.key);
          if (current!.hashMatches(index, hash)) continue;
        }
        rows.push({ run_id: runId, kind, key: item.key, data, hash });
      }
      seenPerKind.set(kind, (seenPerKind.get(kind) ?? 0) + items.length);
      // Queued synchronously (no await since the checks above), so concurrent pages of one kind can't both pass.
      let keys = queuedKeys.get(kind);
      if (!keys) {
        keys = new Set();
        queuedKeys.set(kind, keys);
      }
      for (const row of rows) {
        if (keys.has(row.key)) throw duplicate(source, kind, row.key);
      }
      for (const row of rows) {
        keys.add(row.key);
        queued.push(row);
      }
      if (changes !== null && rows.length > 0) {
        keptChanges += rows.length;
        if (keptChanges > MAX_KEPT_CHANGES) changes = null;
        else {
          const kept = changes.get(kind) ?? changes.set(kind, new Map()).get(kind)!;
          for (const row of rows) kept.set(row.key, row.hash);
        }
      }
      if (queued.length >= BATCH_ROWS) {
        await writeQueued();
        rethrow();
      } else if (timer === null) {
        // A failure is kept and thrown by the next stage() or flush().
        timer = setTimeout(() => void writeQueued(), MAX_QUEUED_MS);
        timer.unref();
      }
    },
    seen: (kind) => seenPerKind.get(kind) ?? 0,
    async discard(kind) {
      // Written first, so nothing of this kind is still queued when its rows are deleted.
      await writeQueued();
      rethrow();
      await around(() => (direct ? clearVersions(direct, source, runId, kind) : clearStaging(db, runId, kind)));
      queuedKeys.delete(kind);
      seenPerKind.delete(kind);
      keptChanges -= changes?.get(kind)?.size ?? 0;
      changes?.delete(kind);
      snapshot?.kinds.get(kind)?.resetSeen();
    },
    unseen: (kind) => snapshot?.kinds.get(kind)?.unseen() ?? [],
    changed: (kind) => (changes === null ? null : (changes.get(kind) ?? new Map())),
    async flush() {
      await writeQueued();
      rethrow();
    },
    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      queued = [];
      await writes;
    },
  };
}

function byKindAndKey(a: StagedRow, b: StagedRow): number {
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * SQLite: a pull that has nowhere to stage fails at its first write, naming the setting, rather
 * than once its staging outgrows the cache with whatever SQLite then says. Checked once a pull.
 */
function requireStagingFolder(db: Db, source: string): void {
  if (isPostgres(db) || sqliteTempDirectory() !== null) return;
  throw new WabaSyncError(
    'CONFIG',
    `${source}: SQLite has no folder to stage the pull in (SQLITE_TMPDIR, TMPDIR, /var/tmp, /usr/tmp, /tmp and the working folder are missing or not writable): set SQLITE_TMPDIR to a writable folder`,
  );
}

async function writeRows(db: Db, source: string, runId: number, rows: StagedRow[]): Promise<void> {
  try {
    // READ COMMITTED: inserts of this run's own rows only (the source's lease keeps other pulls out).
    await db.transaction().execute(async (trx) => {
      if (isPostgres(trx)) return insertBatch(trx, runId, rows);
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) await trx.executeQuery(stagedInsert(rows.slice(i, i + INSERT_CHUNK)));
    });
  } catch (error) {
    if (/UNIQUE|duplicate key/i.test(String((error as Error).message))) {
      // PostgreSQL: a key staged by an earlier batch of this pull came again: name it.
      const byKind = new Map<string, string[]>();
      for (const row of rows) (byKind.get(row.kind) ?? byKind.set(row.kind, []).get(row.kind)!).push(row.key);
      for (const [kind, keys] of byKind) {
        for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
          const found = await db
            .selectFrom('pull_item')
            .select('key')
            .where('run_id', '=', runId)
            .where('kind', '=', kind)
            .where('key', 'in', keys.slice(i, i + LOOKUP_CHUNK))
            .limit(1)
            .executeTakeFirst();
          if (found) throw duplicate(source, kind, found.key, error);
        }
      }
      throw duplicate(source, rows[0]!.kind, '?', error);
    }
    throw error;
  }
}

/** SQLite: an INSERT of `count` staged rows. */
function stagedInsertText(count: number): string {
  return `insert into "pull_item" ("run_id", "kind", "key", "data", "hash") values ${Array.from({ length: count }, () => '(?, ?, ?, ?, ?)').join(', ')}`;
}

/** The text for a full chunk, made once; a batch's last chunk (any size) has its own made each time. */
const FULL_CHUNK_INSERT = stagedInsertText(INSERT_CHUNK);

/**
 * SQLite: a chunk of staged rows as one INSERT, its text made once and its values bound as
 * parameters — not built node by node by the query builder for every chunk, which took about a
 * quarter of a baseline's staging (docs/benchmark.md, "Pulls at the speed of the network").
 */
function stagedInsert(rows: readonly StagedRow[]): CompiledQuery {
  const text = rows.length === INSERT_CHUNK ? FULL_CHUNK_INSERT : stagedInsertText(rows.length);
  const parameters: unknown[] = [];
  for (const row of rows) parameters.push(row.run_id, row.kind, row.key, row.data, row.hash);
  return CompiledQuery.raw(text, parameters);
}

/** A PostgreSQL baseline's batch as first versions, in the transaction that will commit them. */
async function writeVersions(target: DirectTarget, source: string, runId: number, rows: readonly StagedRow[]): Promise<void> {
  await target.transaction.run((trx) =>
    sql`insert into entity_version (source, kind, key, data, hash, valid_from, run_from)
      select ${source}, t.kind, t.key, t.data, t.hash, ${target.observedAt}, ${runId} from ${batchRows(rows)}`.execute(trx),
  );
}

/** Takes back the first versions a PostgreSQL baseline wrote of one kind, so it can be read again. */
async function clearVersions(target: DirectTarget, source: string, runId: number, kind: string): Promise<void> {
  await target.transaction.run((trx) => trx.deleteFrom('entity_version').where('source', '=', source).where('kind', '=', kind).where('run_from', '=', runId).execute());
}

/** PostgreSQL: a batch into pull_item (see `batchRows`). */
async function insertBatch(trx: Transaction<Database>, runId: number, rows: readonly StagedRow[]): Promise<void> {
  await sql`insert into pull_item (run_id, kind, key, data, hash)
    select ${runId}, t.kind, t.key, t.data, t.hash from ${batchRows(rows)}`.execute(trx);
}

/** Separates the rows' contents and hashes in one parameter each (U+001F, unit separator). */
const SEPARATOR = '\u001f';

/**
 * PostgreSQL: a batch as rows the server builds itself from four parameters, in one short
 * statement — not VALUES lists of thousands of parameters that the server parses and plans and
 * pg serialises one by one. Kinds and keys (any text an upstream sends) go as arrays, which pg
 * escapes; contents and hashes, the bulk of the bytes, as one text each joined by U+001F, which
 * the server splits without unescaping anything: canonical JSON never holds a raw control
 * character (JSON.stringify escapes them all) and a hash is base64url. That costs the server a
 * third less than the same batch as one JSON document (`json_to_recordset`), whose every quote
 * inside a content is escaped (docs/benchmark.md, "PostgreSQL").
 */
function batchRows(rows: readonly StagedRow[]) {
  const kinds: string[] = [];
  const keys: string[] = [];
  const data: string[] = [];
  const hashes: string[] = [];
  for (const row of rows) {
    if (row.data.includes(SEPARATOR) || row.hash.includes(SEPARATOR)) throw new Error(`staged content of ${row.kind} ${JSON.stringify(row.key)} is not canonical JSON`);
    kinds.push(row.kind);
    keys.push(row.key);
    data.push(row.data);
    hashes.push(row.hash);
  }
  return sql`unnest(${kinds}::text[], ${keys}::text[], string_to_array(${data.join(SEPARATOR)}, chr(31)), string_to_array(${hashes.join(SEPARATOR)}, chr(31))) as t(kind, key, data, hash)`;
}

function duplicate(source: string, kind: string, key: string, cause?: unknown): WabaSyncError {
  return new WabaSyncError('INCONSISTENT', `${source}: ${kind} ${JSON.stringify(key)} appears twice in one pull`, { cause });
}

/** SQLite: the index a commit reads its staged rows through (see `prepareStagedForCommit`). */
const STAGED_ORDER_INDEX = 'pull_item_order';

/**
 * Just before a commit. SQLite stages into its connection's unkeyed temporary table
 * (db/database.ts): appends only, because a key maintained while a baseline's 4,000-row batches
 * arrive in random key order rewrote most of the key's pages batch after batch. The commit reads
 * the rows in key order, so they are indexed now, once — a sort of the keys, outside the commit's
 * transaction, so other writers don't wait on the file's lock meanwhile — and a key staged twice
 * by this run is found here, by name. The index stays until the table is empty (other sources'
 * pulls on this connection may be staging meanwhile; they commit through it too). PostgreSQL's
 * staging is keyed as it is written: nothing to do.
 */
export async function prepareStagedForCommit(db: Db, source: string, runId: number): Promise<void> {
  if (isPostgres(db)) return;
  await indexStaged(db);
  const twice = await db
    .selectFrom('pull_item')
    .select(['kind', 'key'])
    .where('run_id', '=', runId)
    .groupBy(['kind', 'key'])
    .having((eb) => eb.fn.countAll(), '>', 1)
    .limit(1)
    .executeTakeFirst();
  if (twice) throw duplicate(source, twice.kind, twice.key);
}

/**
 * SQLite, inside the commit transaction: the index again, in case another source's commit emptied
 * the table and dropped it since `prepareStagedForCommit` (then this run's rows were just indexed
 * and checked, and only the index is missing).
 */
export async function indexStaged(db: Db | Transaction<Database>): Promise<void> {
  if (isPostgres(db)) return;
  await db.schema.createIndex(STAGED_ORDER_INDEX).ifNotExists().on('pull_item').columns(['run_id', 'kind', 'key']).execute();
}

/**
 * SQLite: once the connection's staging table is empty, its index goes, so the next pull stages
 * by appending again. (The temporary file gives freed pages back as each transaction ends —
 * db/database.ts makes it auto-vacuumed — so a baseline's ≈ 100 MB is not held on disk until the
 * process ends.)
 */
async function releaseStaging(db: Db | Transaction<Database>): Promise<void> {
  if ((await db.selectFrom('pull_item').select('run_id').limit(1).executeTakeFirst()) !== undefined) return;
  await dropStagedOrder(db);
}

async function dropStagedOrder(db: Db | Transaction<Database>): Promise<void> {
  await db.schema.dropIndex(STAGED_ORDER_INDEX).ifExists().execute();
}

/**
 * A committed run's staged rows, inside its commit transaction. On SQLite, when no other run has
 * rows staged (on this connection, the only one that sees them), the table is emptied whole —
 * SQLite drops its pages instead of deleting a baseline's rows one by one — and its index goes,
 * as `releaseStaging` does once the table is empty. PostgreSQL deletes the run's rows: a TRUNCATE would
 * lock out other sources' staging until the commit.
 */
export async function clearCommittedStaging(trx: Transaction<Database>, runId: number): Promise<void> {
  if (!isPostgres(trx)) {
    const other = async (side: '<' | '>') => (await trx.selectFrom('pull_item').select('run_id').where('run_id', side, runId).limit(1).executeTakeFirst()) !== undefined;
    if (!(await other('<')) && !(await other('>'))) {
      await trx.deleteFrom('pull_item').execute();
      await dropStagedOrder(trx);
      return;
    }
  }
  await trx.deleteFrom('pull_item').where('run_id', '=', runId).execute();
}

/** Drops a run's staged rows: all of them, or those of one kind. */
export async function clearStaging(db: Db, runId: number, kind?: string): Promise<void> {
  let query = db.deleteFrom('pull_item').where('run_id', '=', runId);
  if (kind !== undefined) query = query.where('kind', '=', kind);
  await query.execute();
  if (!isPostgres(db)) await releaseStaging(db);
}
