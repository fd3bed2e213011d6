/** Reading events back: the nine keys users and scripts rely on, oldest first. */
import type { Db } from '../../db/database.js';
import type { EventRow } from '../../db/schema.js';

export interface EventRecord {
  id: number;
  type: string;
  source: string;
  key: string;
  at: string;
  run_id: number | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  changes: Record<string, { from: unknown; to: unknown }> | null;
}

export interface EventFilter {
  /** ISO time: events detected at or after it. */
  since?: string;
  /** Exact type, or a prefix ending in "." or "*" (e.g. "onboarding." / "onboarding.*"). */
  type?: string;
  source?: string;
  afterId?: number;
  limit?: number;
}

export function toEventRecord(row: EventRow): EventRecord {
  return {
    id: row.id,
    type: row.type,
    source: row.source,
    key: row.key,
    at: row.at,
    run_id: row.run_id,
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
    changes: row.changes === null ? null : JSON.parse(row.changes),
  };
}

export async function listEvents(db: Db, filter: EventFilter = {}): Promise<EventRecord[]> {
  let query = db.selectFrom('event').selectAll();
  if (filter.since) query = query.where('at', '>=', filter.since);
  if (filter.source) query = query.where('source', '=', filter.source);
  if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
  if (filter.type) {
    const prefix = filter.type.endsWith('*') ? filter.type.slice(0, -1) : filter.type.endsWith('.') ? filter.type : null;
    // A family is a range of types (prefix ≤ type < prefix + U+FFFF): no LIKE, whose _ and %
    // would need escaping and whose case rules differ between SQLite and PostgreSQL.
    query = prefix !== null ? query.where('type', '>=', prefix).where('type', '<', `${prefix}\uffff`) : query.where('type', '=', filter.type);
  }
  if (filter.limit) query = query.limit(filter.limit);
  const rows = await query.orderBy('id').execute();
  return rows.map(toEventRecord);
}
