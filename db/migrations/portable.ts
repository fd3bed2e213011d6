/**
 * Column shapes that differ between the databases we target. Frozen with the migrations that use
 * it: change behaviour only by adding a new helper, never by editing this one.
 */
import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely';

/** An integer primary key the database numbers itself: AUTOINCREMENT in SQLite, an identity in PostgreSQL. */
export function generatedId(db: Kysely<any>): (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
  return db.getExecutor().adapter instanceof PostgresAdapter
    ? (column) => column.primaryKey().generatedByDefaultAsIdentity()
    : (column) => column.primaryKey().autoIncrement();
}
