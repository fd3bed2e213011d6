/**
 * Pure: one page of a 360dialog list, from the response text to prepared rows (src/sources/
 * prepared.ts) — the envelope checked, every row validated, mapped to its record, written as
 * canonical JSON and hashed. It runs where the page thread runs it (src/sources/page-thread.ts),
 * so everything it needs comes in its parameters and everything it finds goes out in its result
 * or in a PayloadError naming the field.
 */
import { PayloadError } from '../../errors.js';
import { type PreparedRows, PreparedRowsBuilder } from '../prepared.js';
import { formatIssue, parseItem, parseJsonBody } from '../validation.js';
import { channelRecord, clientRecord } from './records.js';
import { channel, client, pageEnvelope } from './schemas.js';

export const SOURCE = 'dialog360';

/** The lists a page can come from: the envelope field holding the rows, and how a row is read. */
const LISTS = {
  clients: { field: 'clients', read: (value: unknown, where: Where) => mapped(parseItem(client, value, where), clientRecord) },
  channels: { field: 'partner_channels', read: (value: unknown, where: Where) => mapped(parseItem(channel, value, where), channelRecord) },
} as const;

export type Dialog360List = keyof typeof LISTS;

interface Where {
  list: string;
  index: number;
  keyField: string;
}

function mapped<T extends { created_at: string | null }>(
  parsed: { ok: true; value: T } | { ok: false; message: string },
  record: (item: T) => { key: string; data: unknown },
): { ok: true; key: string; createdAt: string | null; data: unknown } | { ok: false; message: string } {
  if (!parsed.ok) return parsed;
  const built = record(parsed.value);
  return { ok: true, key: built.key, createdAt: parsed.value.created_at, data: built.data };
}

export interface Dialog360PageParams {
  readonly list: Dialog360List;
  /** Names the call in errors. */
  readonly call: string;
  /** The offset asked for: the rows' positions in errors, and what an echoed offset must say. */
  readonly offset: number;
  /** The response's status, for a body that is not JSON. */
  readonly status: number;
}

export interface Dialog360Page {
  readonly total: number;
  /** The page size the server says it used, when it says. */
  readonly limit: number | undefined;
  readonly rows: PreparedRows;
  /** Each row's `created_at`, in row order. */
  readonly createdAt: readonly (string | null)[];
}

export function readDialog360Page(text: string, params: Dialog360PageParams): Dialog360Page {
  const { call, offset } = params;
  const body = parseJsonBody(text, SOURCE, call, params.status);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new PayloadError(SOURCE, call, `response is not a JSON object (offset ${offset})`);
  const envelope = pageEnvelope.safeParse(body);
  if (!envelope.success) throw new PayloadError(SOURCE, call, `${formatIssue(envelope.error.issues[0])} (offset ${offset})`);
  const list = LISTS[params.list];
  const rows = (body as Record<string, unknown>)[list.field];
  if (!Array.isArray(rows)) {
    throw new PayloadError(SOURCE, call, `field ${list.field}: ${rows === undefined ? 'missing' : 'expected an array'} (offset ${offset})`);
  }
  const { total, count, offset: echoedOffset } = envelope.data;
  if (count !== undefined && count !== rows.length) {
    throw new PayloadError(SOURCE, call, `field count: ${count}, but ${list.field} has ${rows.length} rows (offset ${offset})`);
  }
  if (echoedOffset !== undefined && echoedOffset !== offset) {
    throw new PayloadError(SOURCE, call, `field offset: asked for ${offset}, answered ${echoedOffset}`);
  }
  const prepared = new PreparedRowsBuilder();
  const createdAt: (string | null)[] = [];
  for (let index = 0; index < rows.length; index++) {
    const row = list.read(rows[index], { list: list.field, index: offset + index, keyField: 'id' });
    if (!row.ok) throw new PayloadError(SOURCE, call, row.message);
    prepared.add(row.key, row.data);
    createdAt.push(row.createdAt);
  }
  return { total, limit: envelope.data.limit, rows: prepared.build(), createdAt };
}
