/**
 * The upstreams waba-sync knows, one module each (src/sources/<upstream>/upstream.ts). Adding an
 * upstream is its folder plus one line here; configuration, the digest, the events table, the
 * reconciliation checks and `--source` all read this list. Order: how sources are listed
 * (status, digest, hints) and how their settings are read.
 */
import { dialog360Upstream } from './dialog360/upstream.js';
import { digital99Upstream } from './digital99/upstream.js';
import { metaUpstream } from './meta/upstream.js';
import { type Upstream, eventTypesOf } from './upstream.js';

export const UPSTREAMS = [metaUpstream, dialog360Upstream, digital99Upstream] as const;

export type AnyUpstream = (typeof UPSTREAMS)[number];
export type SourceName = AnyUpstream['name'];
export const SOURCE_NAMES: readonly SourceName[] = UPSTREAMS.map((upstream) => upstream.name);

/** Each upstream's settings, null when it is disabled: `config.meta`, `config.dialog360`, … */
export type UpstreamConfigs = {
  readonly [U in AnyUpstream as U['name']]: U extends Upstream<string, infer C> ? C | null : never;
};

/** The upstream of that name, or undefined (e.g. a source name read from an older database). */
export function findUpstream(name: string): AnyUpstream | undefined {
  return UPSTREAMS.find((upstream) => upstream.name === name);
}

/** The kind of a source's entity that an event type is about (the first kind emitting it). */
export function kindOfEvent(source: string, type: string): string | undefined {
  const upstream = findUpstream(source);
  return upstream?.kinds.find((spec) => eventTypesOf(spec).includes(type))?.kind ?? upstream?.webhookEventKinds?.[type];
}

/** The digest section of an event type, whichever upstream emits it; undefined when none does. */
export function sectionOfType(type: string) {
  for (const upstream of UPSTREAMS) {
    const section = upstream.sections[type];
    if (section) return section;
  }
  return undefined;
}

/** Every reconciliation check of every upstream. */
export function allChecks() {
  return UPSTREAMS.flatMap((upstream) => upstream.checks);
}

/** The title of a check's findings, or the id when no upstream claims it (an old finding). */
export function checkTitle(check: string): string {
  for (const c of allChecks()) {
    const title = c.titles[check];
    if (title) return title;
  }
  return check;
}

/** The variables that enable a source, as "set A and B" (the "not enabled" messages). */
export function disabledReason(upstream: AnyUpstream): string {
  return `set ${upstream.config.credentialVariables.join(' and ')}`;
}

/** The secrets to replace when a source rejects our credentials, as "A and B" (alerts). */
export function secretVariablesOf(source: string): string | undefined {
  const upstream = findUpstream(source);
  return upstream?.config.secretVariables.join(' and ');
}

/** Join values a source offers, over its current entities of the offering kind(s). */
export function joinOffers(source: string, join: string) {
  return findUpstream(source)?.joins.filter((offer) => offer.join === join) ?? [];
}

/** Every event type any upstream emits (each has a digest section), plus the first pull's `sync.baseline`. */
export function knownEventTypes(): string[] {
  return [...new Set([...UPSTREAMS.flatMap((upstream) => Object.keys(upstream.sections)), 'sync.baseline'])].sort();
}
