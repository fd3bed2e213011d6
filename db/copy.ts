/**
 * Copying one database into another and proving the copy (`migrate-data`): every table of
 * db/schema.ts, rows read in primary-key order in bounded batches, explicit ids kept. Both sides
 * are read the same way through Kysely, so a table's row count and checksum are computed by the
 * same code from the same values on SQLite and PostgreSQL.
 */
import { createHash } from 'node:crypto';
import { type Kysely, type RawBuilder, type Transaction, sql } from 'kysely';
import { isPostgres } from './database.js';
import type { Database } from './schema.js';

/**
 * Every table and its primary key, in the order they are copied. Typed over `keyof Database`, so a
 * table added to db/schema.ts does not compile until it is listed here (and therefore copied).
 * Keys are what the rows are read in order of: text keys compare by bytes on both backends
 * (SQLite's BINARY, PostgreSQL's COLLATE "C" from the byte-order migration), so both read the same
 * sequence.
 */
export const TABLE_KEYS = {
  sync_run: ['id'],
  entity_version: ['id'],
  pull_item: ['run_id', 'kind', 'key'],
  event: ['id'],
  data_check: ['id'],
  lease: ['name'],
  job_claim: ['job', 'scheduled_at'],
  source_state: ['source', 'name'],
  app_setting: ['name'],
  outbox: ['id'],
  digest: ['id'],
  digest_event: ['event_id'],
  check_finding: ['check', 'key'],
  alert_episode: ['source', 'mode'],
  report_delivery: ['idempotency_key'],
  webhook_inbox: ['id'],
  onboarding_request: ['onboarding_link'],
  event_feed: ['event_id'],
  event_delivery: ['id'],
} as const satisfies Record<keyof Database, readonly string[]>;

export type TableName = keyof typeof TABLE_KEYS;
export const TABLES = Object.keys(TABLE_KEYS) as TableName[];

/** Rows read (and inserted) at a time: memory stays bounded whatever the database's size. */
const BATCH_ROWS = 500;
/** The outbox holds whole emails with their attachments (report charts): fewer at a time. */
const BATCH_ROWS_BY_TABLE: Partial<Record<TableName, number>> = { outbox: 25 };

type Row = Record<string, unknown>;
/** Any of our databases, untyped: the table is a variable here, read and written as whole rows. */
// biome-ignore lint/suspicious/noExplicitAny: table names are values here, so Kysely cannot type the rows.
type AnyDb = Kysely<any> | Transaction<any>;

/**
 * The table's rows in primary-key order, a batch at a time (keyset paging: each batch starts after
 * the last key of the one before, so no batch is read twice and memory holds one batch).
 */
export async function* batchesOf(db: AnyDb, table: TableName, batchRows = BATCH_ROWS_BY_TABLE[table] ?? BATCH_ROWS): AsyncGenerator<Row[]> {
  const keys: readonly string[] = TABLE_KEYS[table];
  let after: Row | null = null;
  for (;;) {
    let query = db.selectFrom(table).selectAll();
    if (after !== null) query = query.where(afterKey(keys, after));
    for (const key of keys) query = query.orderBy(key);
    const rows = (await query.limit(batchRows).execute()) as Row[];
    if (rows.length > 0) yield rows;
    if (rows.length < batchRows) return;
    after = rows[rows.length - 1]!;
  }
}

/** `(k1, k2) > (v1, v2)`: a row-value comparison, the same on SQLite and PostgreSQL. */
function afterKey(keys: readonly string[], last: Row): RawBuilder<boolean> {
  const columns = sql.join(keys.map((key) => sql.ref(key)));
  const values = sql.join(keys.map((key) => sql`${last[key]}`));
  return keys.length === 1 ? sql<boolean>`${columns} > ${values}` : sql<boolean>`(${columns}) > (${values})`;
}

export interface TableDigest {
  readonly rows: number;
  /** sha256 over every row (its columns sorted by name, as JSON) in primary-key order. */
  readonly checksum: string;
}

/** A row as the checksum sees it: column names sorted, so the column order of either table does not matter. */
function canonicalRow(row: Row): string {
  return JSON.stringify(Object.keys(row).sort().map((column) => [column, row[column] ?? null]));
}

export async function digestTable(db: AnyDb, table: TableName): Promise<TableDigest> {
  const hash = createHash('sha256');
  let rows = 0;
  for await (const batch of batchesOf(db, table)) {
    for (const row of batch) hash.update(`${canonicalRow(row)}\n`);
    rows += batch.length;
  }
  return { rows, checksum: hash.digest('hex') };
}

/** The tables of `db` holding at least one row (the migration bookkeeping is not ours and not counted). */
export async function nonEmptyTables(db: AnyDb): Promise<TableName[]> {
  const found: TableName[] = [];
  for (const table of TABLES) {
    if (await db.selectFrom(table).select(sql`1`.as('one')).limit(1).executeTakeFirst()) found.push(table);
  }
  return found;
}

/**
 * Inserts every row of `source` into `target` (a transaction of an empty, migrated database),
 * ids and all; calls `onTable` after each table with the rows copied.
 */
export async function copyRows(source: AnyDb, target: Transaction<Database>, onTable: (table: TableName, rows: number) => void = () => undefined): Promise<void> {
  for (const table of TABLES) {
    let copied = 0;
    // Copying `event` filled the feed through its trigger with every event; the source's feed
    // (events not yet fanned out) is what the copy must hold.
    if (table === 'event_feed') await target.deleteFrom('event_feed').execute();
    for await (const batch of batchesOf(source, table)) {
      await (target as AnyDb).insertInto(table).values(batch).execute();
      copied += batch.length;
    }
    onTable(table, copied);
  }
  if (isPostgres(target)) await moveIdentitiesPastCopiedIds(target);
}

/**
 * PostgreSQL numbers new rows from an identity sequence that explicit ids do not advance: move each
 * one past its table's largest id, or the next insert would collide with a copied row.
 */
async function moveIdentitiesPastCopiedIds(db: Transaction<Database>): Promise<void> {
  const identities = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and is_identity = 'YES'
    order by table_name`.execute(db);
  for (const { table_name, column_name } of identities.rows) {
    await sql`select setval(pg_get_serial_sequence(${table_name}, ${column_name}), coalesce(max(${sql.ref(column_name)}), 0) + 1, false) from ${sql.table(table_name)}`.execute(db);
  }
}

export interface TableComparison {
  readonly table: TableName;
  readonly source: TableDigest;
  readonly target: TableDigest;
  readonly matches: boolean;
}

/** Each table's row count and checksum on both sides. */
export async function compareDatabases(source: AnyDb, target: AnyDb): Promise<TableComparison[]> {
  const comparisons: TableComparison[] = [];
  for (const table of TABLES) {
    const [from, to] = [await digestTable(source, table), await digestTable(target, table)];
    comparisons.push({ table, source: from, target: to, matches: from.rows === to.rows && from.checksum === to.checksum });
  }
  return comparisons;
}
