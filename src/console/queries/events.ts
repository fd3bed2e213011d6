/**
 * The events page's query: newest first by (at, id), keyset-paged — a page is "the next N
 * before this (at, id)", so page 50 costs what page 1 costs (the `event_at` index, or
 * `event_key_at` when a text filter names entities). On PostgreSQL ids are not commit order;
 * (at, id) is only for browsing: an event committed later with an older `at` shows up where its
 * time puts it on the next look, not at the top.
 */
import type { Db } from '../../../db/database.js';
import type { EventRow } from '../../../db/schema.js';
import type { CurrentIndex } from './current-index.js';
import { looksLikePhone, phoneDigits } from './current-index.js';

export const PAGE_SIZE = 50;

export interface EventsFilter {
  readonly source?: string;
  /** An exact type, or a family written `waba.*`. */
  readonly type?: string;
  /** ISO instants: at >= from, at < to. */
  readonly from?: string;
  readonly to?: string;
  /** A name, id or number: events about the entities it finds, and about that key itself. */
  readonly text?: string;
}

export interface Cursor {
  readonly at: string;
  readonly id: number;
}

export function encodeCursor(row: Pick<EventRow, 'at' | 'id'>): string {
  return `${row.at}_${row.id}`;
}

export function decodeCursor(value: string | undefined): Cursor | undefined {
  const match = value ? /^(\d{4}-\d\d-\d\dT[\d:.]+Z)_(\d{1,15})$/.exec(value) : null;
  return match ? { at: match[1]!, id: Number(match[2]) } : undefined;
}

/** At most this many entities stand for a text filter (the first found by key, number, then name). */
export const MAX_TEXT_KEYS = 500;

/** The entity keys a text filter means. */
export function keysForText(index: CurrentIndex, text: string): string[] {
  const keys = new Set<string>([text]);
  for (const e of index.byKey(text)) keys.add(e.key);
  if (looksLikePhone(text)) {
    const digits = phoneDigits(text);
    keys.add(digits);
    for (const e of index.byDigits(digits)) keys.add(e.key);
  }
  for (const e of index.byName(text, MAX_TEXT_KEYS)) {
    if (keys.size >= MAX_TEXT_KEYS) break;
    keys.add(e.key);
  }
  return [...keys];
}

/** One page (newest first) and whether there is an older one. */
export async function eventsPage(db: Db, filter: EventsFilter, keys: readonly string[] | null, before: Cursor | undefined, size = PAGE_SIZE): Promise<{ rows: EventRow[]; more: boolean }> {
  let query = db.selectFrom('event').selectAll();
  if (filter.source) query = query.where('source', '=', filter.source);
  if (filter.type) {
    const family = filter.type.endsWith('*') ? filter.type.slice(0, -1) : null;
    // A family is a range of types (as src/events/query.ts): no LIKE and its escaping rules.
    query = family !== null ? query.where('type', '>=', family).where('type', '<', `${family}\uffff`) : query.where('type', '=', filter.type);
  }
  if (filter.from) query = query.where('at', '>=', filter.from);
  if (filter.to) query = query.where('at', '<', filter.to);
  if (keys !== null) query = query.where('key', 'in', keys.length > 0 ? [...keys] : ['']);
  if (before) query = query.where((eb) => eb(eb.refTuple('at', 'id'), '<', eb.tuple(before.at, before.id)));
  const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(size + 1).execute();
  return { rows: rows.slice(0, size), more: rows.length > size };
}
