/** Events for people: one readable line each, with what changed from → to. */
import { presentEvent } from '../sources/presentation.js';
import { inertJson } from '../render/plain-text.js';
import { textTable } from '../render/text-table.js';
import type { EventRecord } from './query.js';

/**
 * An event line (INTERFACE.md): the nine keys in order, on one line, safe to print as it is and
 * parsing to exactly what is stored (`inertJson`).
 */
export function eventJsonLine(event: EventRecord): string {
  const { id, type, source, key, at, run_id, before, after, changes } = event;
  return inertJson(JSON.stringify({ id, type, source, key, at, run_id, before, after, changes }));
}

export function describeEvent(event: EventRecord): string {
  // Each upstream says how its entities are named (src/sources/<upstream>/presentation.ts).
  const name = presentEvent(event).label;
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
  return textTable(['ID', 'AT (UTC)', 'TYPE', 'SOURCE', 'KEY', 'DETAIL'], rows);
}

function short(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
