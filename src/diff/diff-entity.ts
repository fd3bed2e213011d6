/**
 * Pure: the previous and the next version of one entity → the events that describe the change.
 * No I/O, no clock: the caller stamps time and run.
 */
import { canonicalJson } from './canonical.js';
import type { Changes, Entity, EventDraft, KindSpec } from './types.js';

/** Field-level differences, comparing nested values structurally. */
export function fieldChanges(before: Entity, after: Entity): Changes {
  const changes: Changes = {};
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const field of [...fields].sort()) {
    const from = before[field] ?? null;
    const to = after[field] ?? null;
    if (canonicalJson(from) !== canonicalJson(to)) changes[field] = { from, to };
  }
  return changes;
}

export function diffEntity(spec: KindSpec, key: string, before: Entity | null, after: Entity | null): EventDraft[] {
  const events = spec.events;
  if (!events) return [];
  if (before === null && after === null) return [];
  if (before === null) return [{ type: events.added, key, before: null, after, changes: null }];
  if (after === null) return [{ type: events.removed, key, before, after: null, changes: null }];

  const remaining = fieldChanges(before, after);
  const drafts: EventDraft[] = [];
  for (const rule of events.fieldEvents ?? []) {
    const change = remaining[rule.field];
    if (!change || (rule.when && !rule.when(change, before, after))) continue;
    drafts.push({ type: rule.type, key, before, after, changes: { [rule.field]: change } });
    delete remaining[rule.field];
  }
  if (Object.keys(remaining).length > 0) {
    drafts.push({ type: events.changed, key, before, after, changes: remaining });
  }
  return drafts;
}
