/**
 * What a pull compares its pages with: the key and content hash of every current version of its
 * source, read once when the pull starts, in a compact form (the keys in one sorted array, the
 * hashes side by side in one string, a byte per key for "seen").
 *
 * Comparing in memory instead of asking the database key by key is what lets an unchanged entity
 * cost nothing but its hash: it is neither looked up nor staged, and what the pull did not see is
 * read off the snapshot instead of being searched for. By its layout it holds roughly 60 bytes per
 * entity (a key string, 22 hash characters, a byte), never the entities themselves.
 *
 * The snapshot is only valid while nobody else writes this source's versions, which the lease
 * ensures; `verify` checks it at commit (a writer that ignored the lease fails the pull).
 */
import { type Kysely, type Transaction, sql } from 'kysely';
import { isPostgres } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { HASH_LENGTH } from '../diff/canonical.js';
import { WabaSyncError } from '../errors.js';
import { newestVersionId } from './concurrent-writes.js';

/** A hash of another length (none is written today) never matches: that entity is staged again. */
const NO_HASH = '\0'.repeat(HASH_LENGTH);
/** Current versions read per statement, aggregated into one row. */
const READ_CHUNK = 50_000;

export class KindSnapshot {
  private readonly seenFlags: Uint8Array;
  private seenCount = 0;

  constructor(
    /** Sorted by JavaScript's string order, which `indexOf` searches by. */
    private readonly keys: readonly string[],
    /** `HASH_LENGTH` characters per key, in the same order. */
    private readonly hashes: string,
  ) {
    this.seenFlags = new Uint8Array(keys.length);
  }

  get size(): number {
    return this.keys.length;
  }

  /** The key's position, or -1 when it has no current version. */
  indexOf(key: string): number {
    let low = 0;
    let high = this.keys.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const probe = this.keys[middle]!;
      if (probe === key) return middle;
      if (probe < key) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  hashMatches(index: number, hash: string): boolean {
    return hash.length === HASH_LENGTH && this.hashes.startsWith(hash, index * HASH_LENGTH);
  }

  /** Marks the key at `index` seen; false when it already was (the key came twice). */
  markSeen(index: number): boolean {
    if (this.seenFlags[index] === 1) return false;
    this.seenFlags[index] = 1;
    this.seenCount += 1;
    return true;
  }

  /** Forgets what was seen (the kind is being read again from the start). */
  resetSeen(): void {
    this.seenFlags.fill(0);
    this.seenCount = 0;
  }

  /**
   * The current keys and hashes once a pull's commit has applied `changed` (key → hash, new or
   * changed) and, when `removeUnseen`, closed every key it did not see: what the next pull of the
   * source would read back (SnapshotCache). Unchanged runs of hashes are sliced, not copied one by one.
   */
  successor(changed: ReadonlyMap<string, string>, removeUnseen: boolean): CachedKind {
    if (changed.size === 0 && (!removeUnseen || this.seenCount === this.keys.length)) return { keys: this.keys, hashes: this.hashes };
    const added = [...changed.keys()].filter((key) => this.indexOf(key) < 0).sort(byCodeUnits);
    const keys: string[] = [];
    const parts: string[] = [];
    let run = 0; // start of the run of unchanged hashes not yet sliced
    const cut = (end: number) => {
      if (end > run) parts.push(this.hashes.slice(run * HASH_LENGTH, end * HASH_LENGTH));
    };
    let next = 0;
    for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      const hash = changed.get(key);
      const gone = removeUnseen && this.seenFlags[i] === 0;
      const before = next < added.length && added[next]! < key;
      if (hash === undefined && !gone && !before) {
        keys.push(key);
        continue;
      }
      cut(i);
      for (; next < added.length && added[next]! < key; next++) {
        keys.push(added[next]!);
        parts.push(changed.get(added[next]!)!);
      }
      run = i + 1;
      if (gone) continue;
      keys.push(key);
      parts.push(hash ?? this.hashes.slice(i * HASH_LENGTH, (i + 1) * HASH_LENGTH));
    }
    cut(this.keys.length);
    for (; next < added.length; next++) {
      keys.push(added[next]!);
      parts.push(changed.get(added[next]!)!);
    }
    return { keys, hashes: parts.join('') };
  }

  /** Current keys the pull has not seen, in key order. */
  unseen(): string[] {
    const out: string[] = [];
    if (this.seenCount === this.keys.length) return out;
    for (let i = 0; i < this.keys.length; i++) if (this.seenFlags[i] === 0) out.push(this.keys[i]!);
    return out;
  }
}

/** JavaScript's string order (UTF-16 code units), the order `indexOf` searches by. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How many current versions the source has and the newest one's id: any write by another process changes one of them. */
export interface Fingerprint {
  readonly count: number;
  readonly maxId: number | null;
}

/** One kind's current keys (sorted) and their hashes (HASH_LENGTH characters each, in the same order). */
export interface CachedKind {
  readonly keys: readonly string[];
  readonly hashes: string;
}

export interface CachedSnapshot {
  /** The source's fingerprint when its current versions were these. */
  readonly fingerprint: Fingerprint;
  readonly kinds: ReadonlyMap<string, CachedKind>;
}

/**
 * The snapshot of each source kept between its pulls, as its last commit left it, so a poll does
 * not read back 200,000 keys and hashes that its own commit just wrote (most of a churn pull's
 * storing; docs/benchmark.md). A pull takes it only while the database's fingerprint of the source
 * (current versions counted, newest id) is still the one it was kept with — a webhook's pull,
 * another daemon or a hand edit in between changes it, and the pull reads from the database — and
 * puts back what its commit made. Held by the long-running process (App), one per database.
 */
export class SnapshotCache {
  private readonly bySource = new Map<string, CachedSnapshot>();

  /** The source's kept snapshot if its fingerprint is still `now`; removed either way (the pull puts back its successor). */
  take(source: string, now: Fingerprint): CachedSnapshot | undefined {
    const kept = this.bySource.get(source);
    this.bySource.delete(source);
    return kept && kept.fingerprint.count === now.count && kept.fingerprint.maxId === now.maxId ? kept : undefined;
  }

  put(source: string, snapshot: CachedSnapshot): void {
    this.bySource.set(source, snapshot);
  }

  /** What is kept for `source`, valid or not (tests). */
  peek(source: string): CachedSnapshot | undefined {
    return this.bySource.get(source);
  }
}

export interface SourceSnapshot {
  readonly kinds: ReadonlyMap<string, KindSnapshot>;
  /** The newest version id (concurrent-writes.ts) read just before the snapshot: anything later is another pull's. */
  readonly newestId: number;
  /**
   * Throws INCONSISTENT when the source's current versions are no longer those read. Only when no
   * targeted pull wrote since (concurrent-writes.ts checks those writes and who made them).
   */
  verify(trx: Transaction<Database>): Promise<void>;
  /** Whether the keys and hashes came from the cache instead of the database. */
  readonly cached: boolean;
  /**
   * The source's fingerprint at the end of the commit under way in `trx`, which applied `applied`
   * (the commit's new versions, added and removed entities); for `successor`, once that commit is through.
   */
  fingerprintAfter(trx: Transaction<Database>, applied: { readonly inserted: number; readonly added: number; readonly removed: number }): Promise<Fingerprint>;
  /**
   * What a commit that ended with `fingerprint` left (see `KindSnapshot.successor`), for
   * SnapshotCache.put: `changed(kind)` the keys staged with their hashes, `coverage` what the
   * commit applied. Outside the commit's transaction: nothing in it reads the database.
   */
  successor(changed: (kind: string) => ReadonlyMap<string, string>, coverage: Readonly<Record<string, 'complete' | 'partial'>>, fingerprint: Fingerprint): CachedSnapshot;
}

/**
 * `chunk`: current versions per statement (tests read in small chunks to cross their boundaries).
 * `cache`: where a snapshot kept from the source's last pull is taken from when still valid.
 */
export async function readSnapshot(db: Kysely<Database>, source: string, kinds: readonly string[], chunk = READ_CHUNK, cache?: SnapshotCache): Promise<SourceSnapshot> {
  // Before the snapshot: a commit between the two only makes the pull leave those entities to the next one.
  const newestId = await newestVersionId(db, source);
  // One read transaction: the fingerprint and the keys come from the same state (on PostgreSQL
  // that takes REPEATABLE READ; SQLite's transactions always read one state).
  return db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const before = await fingerprint(trx, source);
    const kept = cache?.take(source, before);
    const snapshots = new Map<string, KindSnapshot>();
    for (const kind of kinds) {
      const cached = kept?.kinds.get(kind);
      snapshots.set(kind, cached ? new KindSnapshot(cached.keys, cached.hashes) : await readKind(trx, source, kind, chunk));
    }
    return {
      kinds: snapshots,
      newestId,
      cached: kept !== undefined,
      fingerprintAfter: (writer, applied) => fingerprintAfter(writer, source, before, applied),
      successor(changed, coverage, after) {
        const successors = new Map<string, CachedKind>();
        for (const [kind, snapshot] of snapshots) {
          const covered = coverage[kind];
          successors.set(kind, covered ? snapshot.successor(changed(kind), covered === 'complete') : snapshot.successor(new Map(), false));
        }
        return { fingerprint: after, kinds: successors };
      },
      async verify(writer) {
        const now = await fingerprint(writer, source);
        if (now.count !== before.count || now.maxId !== before.maxId) {
          throw new WabaSyncError(
            'INCONSISTENT',
            `${source}: its current versions changed in the database while the pull was staged (${before.count} → ${now.count}, newest id ${before.maxId} → ${now.maxId}); another process wrote them`,
          );
        }
      },
    };
  });
}

/**
 * One chunk of a kind's current keys and hashes — `limit` of them, in key order, after `after` —
 * as two JSON arrays in one row, which V8 parses natively, instead of rows decoded one by one into
 * objects (by pg in JavaScript on PostgreSQL, where the snapshot read was most of a churn pull's
 * storing; cheaper on SQLite too: docs/benchmark.md, "Pulls at the speed of the network").
 *
 * - Both arrays are filled in one pass over the chunk, so a key and its hash stay side by side.
 *   The aggregates take the rows in the order the chunk reads them (its index: key order) with no
 *   ORDER BY of their own, which had each of them sort what was already sorted. Nothing relies on
 *   that order but speed: `readKind` sorts the kind if any chunk comes out of order, and pages on the
 *   chunk's greatest key in the database's own order (`last`), not on the array's last element.
 * - The keys and hashes come from one index alone. PostgreSQL's planner takes its current
 *   versions' unique index, which carries the hash, by itself. SQLite's takes the unique index of
 *   current keys, which does not, and then reads every row for its hash, three times slower than
 *   the index of current keys and hashes it is therefore told to use.
 */
async function readChunk(db: Kysely<Database>, source: string, kind: string, after: string | null, limit: number): Promise<{ keys: string[]; hashes: string[]; last: string | null }> {
  const { rows } = await snapshotChunkQuery(db, source, kind, after, limit).execute(db);
  return { keys: JSON.parse(rows[0]?.keys ?? '[]') as string[], hashes: JSON.parse(rows[0]?.hashes ?? '[]') as string[], last: rows[0]?.last ?? null };
}

/** The statement `readChunk` runs (exported for the test of its plan). */
export function snapshotChunkQuery(db: Kysely<Database>, source: string, kind: string, after: string | null, limit: number) {
  const postgres = isPostgres(db);
  const array = (column: 'key' | 'hash') => (postgres ? sql<string | null>`json_agg(${sql.ref(`c.${column}`)})::text` : sql<string | null>`json_group_array(${sql.ref(`c.${column}`)})`);
  const from = postgres ? sql`entity_version` : sql`entity_version indexed by entity_version_current_hash`;
  return sql<{ keys: string | null; hashes: string | null; last: string | null }>`
    select ${array('key')} as keys, ${array('hash')} as hashes, max(c.key) as last
    from (
      select key, hash from ${from}
      where source = ${source} and kind = ${kind} and valid_to is null ${after === null ? sql`` : sql`and key > ${after}`}
      order by key limit ${limit}
    ) as c`;
}

/**
 * The source's fingerprint at the end of a commit that found it at `before` (verified) and then
 * applied `applied`, without counting every current version again where it can be told: nothing
 * written leaves it as it was; on SQLite, whose commit holds the only write lock, the newest id of
 * the whole table is then the newest version this commit wrote. Otherwise (PostgreSQL, where other
 * sources commit alongside; versions only closed) it is read.
 */
async function fingerprintAfter(trx: Transaction<Database>, source: string, before: Fingerprint, applied: { inserted: number; added: number; removed: number }): Promise<Fingerprint> {
  if (applied.inserted === 0 && applied.removed === 0) return before;
  if (applied.inserted > 0 && !isPostgres(trx)) {
    const newest = await trx.selectFrom('entity_version').select((eb) => eb.fn.max('id').as('maxId')).executeTakeFirstOrThrow();
    return { count: before.count + applied.added - applied.removed, maxId: Number(newest.maxId) };
  }
  return fingerprint(trx, source);
}

async function fingerprint(db: Kysely<Database>, source: string): Promise<Fingerprint> {
  const row = await db
    .selectFrom('entity_version')
    .select((eb) => [eb.fn.countAll<number | bigint>().as('n'), eb.fn.max('id').as('maxId')])
    .where('source', '=', source)
    .where('valid_to', 'is', null)
    .executeTakeFirstOrThrow();
  return { count: Number(row.n), maxId: row.maxId === null ? null : Number(row.maxId) };
}

async function readKind(db: Kysely<Database>, source: string, kind: string, chunkSize: number): Promise<KindSnapshot> {
  const keys: string[] = [];
  const hashes: string[] = [];
  let sorted = true;
  // Key-ordered chunks: one statement per chunk is far cheaper than a row-by-row cursor.
  for (let after: string | null = null; ; ) {
    const chunk = await readChunk(db, source, kind, after, chunkSize);
    for (let i = 0; i < chunk.keys.length; i++) {
      const key = chunk.keys[i]!;
      const hash = chunk.hashes[i]!;
      // SQLite orders by UTF-8 bytes, JavaScript by UTF-16 units: they differ only past U+FFFF.
      if (keys.length > 0 && !(keys[keys.length - 1]! < key)) sorted = false;
      keys.push(key);
      hashes.push(hash.length === HASH_LENGTH ? hash : NO_HASH);
    }
    if (chunk.keys.length < chunkSize || chunk.last === null) break;
    after = chunk.last;
  }
  if (sorted) return new KindSnapshot(keys, hashes.join(''));
  const order = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
  return new KindSnapshot(
    order.map((i) => keys[i]!),
    order.map((i) => hashes[i]!).join(''),
  );
}
