/** Events for people: one readable line each, with what changed from → to. */
import { stripControlChars } from '../terminal-text.js';
import type { EventRecord } from './query.js';

export function eventJsonLine(event: EventRecord): string {
  const { id, type, source, key, at, run_id, before, after, changes } = event;
  return JSON.stringify({ id, type, source, key, at, run_id, before, after, changes });
}

export function describeEvent(event: EventRecord): string {
  const entity = event.after ?? event.before ?? {};
  const name = pickName(entity);
  const parts: string[] = [];
  if (name) parts.push(name);
  if (event.changes) {
    parts.push(
      Object.entries(event.changes)
        .map(([field, change]) => `${field}: ${short(change.from)} → ${short(change.to)}`)
        .join('; '),
    );
  } else if (event.type === 'sync.baseline' && event.after) {
    const entities = (event.after.entities ?? {}) as Record<string, number>;
    parts.push(`baseline: ${Object.entries(entities).map(([kind, n]) => `${n} ${kind}`).join(', ')}`);
  }
  return parts.join(' — ');
}

export function eventTable(events: readonly EventRecord[]): string {
  if (events.length === 0) return 'No events.';
  const rows = events.map((e) => [String(e.id), e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), e.type, e.source, e.key, describeEvent(e)]);
  return table(['ID', 'AT (UTC)', 'TYPE', 'SOURCE', 'KEY', 'DETAIL'], rows);
}

/** A plain text table; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows].map((row) => row.map(oneLine));
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

function pickName(entity: Record<string, unknown>): string | null {
  for (const field of ['display_name', 'name', 'business_name', 'verified_name']) {
    const value = entity[field];
    if (typeof value === 'string' && value) return value;
  }
  // A 360dialog channel is named by its phone name.
  const phoneName = (entity.setup_info as Record<string, unknown> | null | undefined)?.phone_name;
  if (typeof phoneName === 'string' && phoneName) return phoneName;
  return null;
}

function short(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Control characters from upstream strings never reach the terminal; a cell is one line. */
function oneLine(text: string): string {
  return stripControlChars(text);
}
