/**
 * What goes where in a digest: a table from event type to section, in the order an operations
 * person reads them, and how any event becomes one row (name, number or id, business, detail)
 * from its entity's upstream fields. New sources slot in by adding their types to the table; an
 * unknown type lands in "Other changes".
 */
import type { EventRecord } from '../../events/query.js';

export type SectionId = 'shared' | 'onboarded' | 'new' | 'vanished' | 'status' | 'other';

export interface SectionSpec {
  readonly id: SectionId;
  readonly title: string;
}

/** Display order. Reconciliation findings follow "status", before "other". */
export const SECTIONS: readonly SectionSpec[] = [
  { id: 'shared', title: 'Newly shared WABAs' },
  { id: 'onboarded', title: 'Finished onboardings and coexistence swaps' },
  { id: 'new', title: 'New numbers, channels and clients' },
  { id: 'vanished', title: 'Vanished' },
  { id: 'status', title: 'Status, review, quality and tier changes' },
  { id: 'other', title: 'Other changes' },
];

export const SECTION_OF_TYPE: Readonly<Record<string, SectionId>> = {
  // Meta
  'waba.shared': 'shared',
  'waba.owned_added': 'shared',
  'phone_number.added': 'new',
  'waba.unshared': 'vanished',
  'waba.owned_removed': 'vanished',
  'phone_number.removed': 'vanished',
  'waba.review_status_changed': 'status',
  'phone_number.quality_changed': 'status',
  'phone_number.status_changed': 'status',
  'waba.changed': 'other',
  'phone_number.changed': 'other',
  // 360dialog
  'client.added': 'new',
  'channel.added': 'new',
  'client.removed': 'vanished',
  'channel.removed': 'vanished',
  'channel.status_changed': 'status',
  'channel.quality_changed': 'status',
  'channel.limit_changed': 'status',
  'channel.availability_changed': 'status',
  'client.changed': 'other',
  'channel.changed': 'other',
  // 99digital
  'onboarding.completed': 'onboarded',
  'onboarding.number_swapped': 'onboarded',
  'number.added': 'new',
  'onboarding.removed': 'vanished',
  'number.removed': 'vanished',
  'onboarding.created': 'other',
  'onboarding.changed': 'other',
  'number.changed': 'other',
  'number.api_key_rotated': 'other',
  // any source
  'sync.baseline': 'other',
};

export function sectionOf(type: string): SectionId {
  return SECTION_OF_TYPE[type] ?? 'other';
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

/** Upstream field paths tried in order (Meta, 360dialog and 99digital names). */
const NAME_FIELDS = ['display_name', 'name', 'verified_name', 'setup_info.phone_name'];
const NUMBER_FIELDS = ['whatsapp', 'display_phone_number', 'setup_info.phone_number'];
const BUSINESS_FIELDS = ['business_name', 'owner_business_info', 'on_behalf_of_business_info'];

export function digestRow(event: EventRecord): DigestRow {
  const entity = event.after ?? event.before ?? {};
  const details: string[] = [];
  if (event.changes) {
    for (const [field, change] of Object.entries(event.changes)) details.push(describeChange(field, change.from, change.to));
  }
  const reference = pick(entity, ['reference']);
  if (reference && event.source === 'digital99' && event.type.startsWith('onboarding.')) details.push(`reference ${reference}`);
  const wabaId = pick(entity, ['waba_account.external_id', 'waba_id']);
  if (wabaId) details.push(`WABA ${wabaId}`);
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
    name: event.type === 'sync.baseline' ? null : pick(entity, NAME_FIELDS),
    numberOrId: pick(entity, NUMBER_FIELDS) ?? event.key,
    business: pick(entity, BUSINESS_FIELDS),
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

/** The first present value among the paths; a business object shows as "name (id)". */
function pick(entity: Record<string, unknown>, paths: readonly string[]): string | null {
  for (const path of paths) {
    let value: unknown = entity;
    for (const part of path.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    if (value === null || value === undefined || value === '') continue;
    if (typeof value === 'object' && !Array.isArray(value)) {
      const { name, id } = value as { name?: unknown; id?: unknown };
      if (name || id) return [name, id ? `(${String(id)})` : null].filter(Boolean).join(' ');
      continue;
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  }
  return null;
}
