/**
 * How any event's entity shows to people, from its upstream's presenters (src/sources/registry.ts):
 * the digest, the events table and later the console all ask here, so none of them knows an
 * upstream's field names.
 */
import type { Entity } from '../diff/types.js';
import { findUpstream, kindOfEvent } from './registry.js';
import type { EntityPresentation, Presenter } from './upstream.js';

/** What an event says about its entity; `after` when there is one, else `before`. */
export interface PresentableEvent {
  readonly source: string;
  readonly type: string;
  readonly before: Entity | null;
  readonly after: Entity | null;
}

const NOTHING: EntityPresentation = { name: null, label: null, number: null, owner: null, wabaId: null, notes: [] };

/** The sync layer's own event, about a pull rather than an entity. */
const BASELINE = 'sync.baseline';

export function presentEvent(event: PresentableEvent): EntityPresentation {
  if (event.type === BASELINE) return NOTHING;
  const entity = event.after ?? event.before ?? {};
  const upstream = findUpstream(event.source);
  if (!upstream) return NOTHING;
  const kind = kindOfEvent(event.source, event.type);
  const presenter = kind === undefined ? undefined : upstream.presenters[kind];
  if (presenter) return presenter(entity);
  // A type this version does not know (e.g. from a newer one): each field from the first of the
  // source's presenters that finds it.
  return firstFound(Object.values(upstream.presenters).map((present: Presenter) => present(entity)));
}

function firstFound(all: readonly EntityPresentation[]): EntityPresentation {
  const first = <K extends keyof EntityPresentation>(field: K) => all.find((p) => p[field] !== null && p[field].length !== 0)?.[field] ?? NOTHING[field];
  return { name: first('name'), label: first('label'), number: first('number'), owner: first('owner'), wabaId: first('wabaId'), notes: first('notes') };
}
