/**
 * What goes where in a digest: the sections in the order an operations person reads them (each
 * upstream names the section of each of its event types, src/sources/<upstream>/presentation.ts),
 * and how any event becomes one row (name, number or id, business, detail) from its upstream's
 * presenter. An unknown type lands in "Other changes".
 */
import type { EventRecord } from '../../events/query.js';
import { presentEvent } from '../../sources/presentation.js';
import { sectionOfType } from '../../sources/registry.js';
import type { DigestSectionId } from '../../sources/upstream.js';

export type SectionId = DigestSectionId;

export interface SectionSpec {
  readonly id: SectionId;
  readonly title: string;
}

/** Display order. Reconciliation findings follow "status", before "other". */
export const SECTIONS: readonly SectionSpec[] = [
  { id: 'account', title: 'Account updates: violations, restrictions, bans, removals' },
  { id: 'shared', title: 'Newly shared WABAs' },
  { id: 'onboarded', title: 'Finished onboardings and coexistence swaps' },
  { id: 'new', title: 'New numbers, channels and clients' },
  { id: 'vanished', title: 'Vanished' },
  { id: 'status', title: 'Status, review, quality and tier changes' },
  { id: 'other', title: 'Other changes' },
];

export function sectionOf(type: string): SectionId {
  return sectionOfType(type) ?? 'other';
}

/** One event as a digest row. Every string is upstream data: escape it where it is rendered. */
export interface DigestRow {
  readonly section: SectionId;
  readonly eventId: number;
  readonly at: string;
  readonly source: string;
  readonly type: string;
  readonly key: string;
  readonly name: string | null;
  /** A phone number when the entity has one, else the entity's id. */
  readonly numberOrId: string;
  readonly business: string | null;
  /** from → to per changed field, the reference of an onboarding, a baseline's counts. */
  readonly detail: string;
}

export function digestRow(event: EventRecord): DigestRow {
  const entity = event.after ?? event.before ?? {};
  const shown = presentEvent(event);
  const details: string[] = [];
  if (event.changes) {
    for (const [field, change] of Object.entries(event.changes)) details.push(describeChange(field, change.from, change.to));
  }
  details.push(...shown.notes);
  if (shown.wabaId) details.push(`WABA ${shown.wabaId}`);
  if (event.type === 'sync.baseline') {
    const counts = (entity.entities ?? {}) as Record<string, unknown>;
    details.push(`first complete pull: ${Object.entries(counts).map(([kind, n]) => `${String(n)} ${kind}`).join(', ')}`);
  }
  return {
    section: sectionOf(event.type),
    eventId: event.id,
    at: event.at,
    source: event.source,
    type: event.type,
    key: event.key,
    name: shown.name,
    numberOrId: shown.number ?? event.key,
    business: shown.owner,
    detail: details.join('; '),
  };
}

/** Fingerprints of secrets say only that something changed. */
function describeChange(field: string, from: unknown, to: unknown): string {
  if (/fingerprint/i.test(field)) return `${field.replace(/Fingerprint$/, '')} changed`;
  return `${field}: ${show(from)} → ${show(to)}`;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
