/**
 * What an upstream module (src/sources/<upstream>/upstream.ts) tells the rest of waba-sync, so no
 * code outside its folder needs to know its variables, kinds, event types or field names:
 * - `config`: its settings section (variables, defaults, validation, which credentials enable it);
 * - `kinds`: its entity kinds with their event types, and for each event type a digest section;
 * - `presenters`: how an entity of each kind is shown (name, number, owner, WABA) wherever people
 *   read events (the digest, the events table, later the console);
 * - `checks` and `joins`: the reconciliation checks it contributes, and the keys (WABA id, phone
 *   number) its entities offer to other sources' checks.
 * src/sources/registry.ts lists the modules; everything else reads them from there.
 */
import type { PageReader } from './page-tasks.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { HttpConfig } from '../config.js';
import type { Clock } from '../clock.js';
import type { Entity, KindSpec } from '../diff/types.js';
import type { FingerprintSource, SecretScrubber } from '../secrets.js';
import type { Source } from '../sync/types.js';

// ---- configuration ----

/**
 * The part of the configuration reader a section uses (src/config.ts implements it). Every
 * problem is pushed to `problems` naming its variable; the caller reports them all at once.
 */
export interface SettingsReader {
  readonly problems: string[];
  /** The trimmed value, or undefined when unset or empty. */
  raw(name: string): string | undefined;
  string(name: string, fallback: string): string;
  /** An http(s) URL without credentials and without a trailing slash. */
  url(name: string, fallback: string): string;
  int(name: string, fallback: number, min: number, max: number): number;
  oneOf(name: string, fallback: string, allowed: readonly string[]): string;
  /** All set → the values; none set → null (disabled); some set → a problem naming the missing ones. */
  credentials<K extends string>(names: Record<K, string>): Record<K, string> | null;
}

export interface ConfigSection<C> {
  /** The variables that enable the source: all of them set, or none (disabled). */
  readonly credentialVariables: readonly string[];
  /** The secrets to replace when the upstream rejects our credentials (named in alerts). */
  readonly secretVariables: readonly string[];
  /** Reads and validates the section; null when the credentials are unset (the source is disabled). */
  read(read: SettingsReader): C | null;
}

// ---- presentation ----

/**
 * The digest's sections, in the order an operations person reads them (titles in
 * src/notify/digest/sections.ts). Each event type of each upstream names one.
 */
export type DigestSectionId = 'account' | 'shared' | 'onboarded' | 'new' | 'vanished' | 'status' | 'other';

/** How one entity shows to people. Every string is upstream data: escape it where it is rendered. */
export interface EntityPresentation {
  /** What the entity is called (its display, verified or phone name). */
  readonly name: string | null;
  /** How a one-line listing names it: the name, or what stands in for it (e.g. its business). */
  readonly label: string | null;
  /** Its phone number, as the upstream writes it, when it has one. */
  readonly number: string | null;
  /** The business it belongs to, "name (id)" when the upstream gives both. */
  readonly owner: string | null;
  /** The Meta WABA it belongs to, when the upstream says. */
  readonly wabaId: string | null;
  /** Further short facts worth a digest line (e.g. an onboarding's reference). */
  readonly notes: readonly string[];
}

export type Presenter = (entity: Entity) => EntityPresentation;

// ---- reconciliation ----

/** One problem a check found, keyed so that it is listed once when it appears and once when it clears. */
export interface Finding {
  readonly check: string;
  readonly key: string;
  readonly detail: string;
}

/** An entity as currently stored (the latest complete pulls' state). */
export interface CurrentEntity {
  readonly key: string;
  readonly data: Entity;
}

/** The join keys entities offer to other sources' checks. */
export type JoinName = 'waba_id' | 'phone_number';

export interface JoinOffer {
  readonly join: JoinName;
  readonly kind: string;
  /** The entities in words, for findings: e.g. "the Meta client WABAs". */
  readonly describes: string;
  /** The join values of one stored entity (several when the upstream writes it more than one way). */
  values(key: string, entity: Entity): readonly string[];
}

/** What a check may read; the checks runner in src/notify/digest/checks.ts provides it. */
export interface CheckContext {
  readonly db: Kysely<Database>;
  readonly now: Date;
  /** How long a finished onboarding may miss from the numbers list before it is a finding. */
  readonly graceHours: number;
  /** ONBOARDING_STUCK_DAYS: how long an onboarding link may stay unfinished before it is a finding. */
  readonly onboardingStuckDays: number;
  /** The latest complete pull of each source the check reads. */
  readonly runIds: Readonly<Record<string, number>>;
  /** Current entities of one kind of one source. */
  current(source: string, kind: string): Promise<CurrentEntity[]>;
  /** Every value another source offers for a join (see JoinOffer), with what they are in words. */
  joined(source: string, join: JoinName): Promise<{ readonly values: ReadonlySet<string>; readonly describes: string }>;
}

export interface ReconcileCheck {
  /** The finding ids (Finding.check) it yields, each with the digest's title for it. */
  readonly titles: Readonly<Record<string, string>>;
  /** Sources it reads; it runs only when each has a complete pull. */
  readonly reads: readonly string[];
  /**
   * Also only when each is enabled: a check joining two sources must not compare against a
   * disabled one's stale state.
   */
  readonly needsEnabled: boolean;
  run(ctx: CheckContext): Promise<Finding[]>;
}

// ---- webhooks ----

/** Why the intake turned a request away (a metric label; nothing of the request is stored). */
export type WebhookRejection = 'signature' | 'token' | 'address' | 'too_large' | 'malformed' | 'not_configured' | 'verify_token';

/** One request to `/webhooks/<path>…`, as the intake hands it to the upstream's reader. */
export interface WebhookRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly query: URLSearchParams;
  /** What follows `/webhooks/<path>/` (99digital's path token), '' when nothing. */
  readonly rest: string;
  /** The bytes as received: signatures are over these, never over re-serialised JSON. */
  readonly rawBody: Buffer;
  /** The sender's address (X-Forwarded-For's last hop when WEBHOOK_TRUST_PROXY is on). */
  readonly remoteAddress: string;
}

export type WebhookVerdict = { readonly ok: true } | { readonly ok: false; readonly status: 401 | 403 | 404; readonly reason: WebhookRejection };

/** An event only a webhook can tell (e.g. a violation), written as it is: `after` is the webhook's value with its event. */
export interface WebhookEvent {
  readonly type: string;
  readonly key: string;
  readonly after: Entity;
  /** Goes to ALERT_TO at once too (violations, restrictions, bans): the subject line's words. */
  readonly alert?: string;
  /**
   * When the upstream says it happened (Meta's `entry.time`), ISO: a resend carries the same time,
   * a repeat a later one (processor.ts). Absent: the upstream does not say.
   */
  readonly occurredAt?: string;
}

/** What one delivery asks for. */
export interface WebhookPlan {
  /** For the source's `pullTargets`, in its own words (e.g. `waba:123`). */
  readonly targets: readonly string[];
  /**
   * A full pull of the source: `debounced` at most once per WEBHOOK_FULL_PULL_MIN_INTERVAL_SECONDS
   * (what only a full pull can confirm, e.g. a removal); `now` one running and at most one queued.
   */
  readonly fullPull: 'debounced' | 'now' | null;
  readonly events: readonly WebhookEvent[];
  /** Fields and events read and left alone (counted, noted in the inbox, no error). */
  readonly unhandled: readonly string[];
}

export interface WebhookReader<C> {
  /** `/webhooks/<path>`. */
  readonly path: string;
  /** Deliveries come to `/webhooks/<path>/<token>` (the token is `rest`); else only to the path itself. */
  readonly pathToken?: boolean;
  /**
   * A body that comes again may be news: no time or id in it tells a repeat from a resend (360dialog,
   * 99digital), so once the first is processed it is processed again (its events are still written
   * once: processor.ts). Unset: the same body is the same notification (Meta stamps each with its time).
   */
  readonly sameBodyMayRepeat?: boolean;
  /** False when its secret is unset: the path answers 404. */
  enabled(config: C): boolean;
  /** A GET on the path (Meta's verification handshake); absent: GET is 404. */
  handshake?(config: C, query: URLSearchParams): { readonly status: number; readonly body: string; readonly reason?: WebhookRejection };
  /** Constant-time checks only; never logs or keeps anything of a request it refuses. */
  authenticate(config: C, request: WebhookRequest): WebhookVerdict;
  /** Reads an authenticated body; never throws (a body it can't read is a plan with nothing but `unhandled`). */
  interpret(body: string): WebhookPlan;
}

/** A plan that acts on nothing, naming what was left alone. */
export function unhandledPlan(...what: string[]): WebhookPlan {
  return { targets: [], fullPull: null, events: [], unhandled: what };
}

// ---- the module ----

/**
 * Clients shared by everything one App runs: an upstream's access token and its credential
 * cool-down belong to the process (99digital blocks an IP after repeated wrong tries), not to each
 * caller — the source's pulls and the report's statistics use the same client. Owned by the App,
 * so nothing outlives it and two Apps in one process (tests) share nothing.
 */
export class SharedClients {
  private readonly clients = new Map<string, unknown>();

  /** The client under `name`, made by `create` the first time it is asked for. */
  get<T>(name: string, create: () => T): T {
    if (!this.clients.has(name)) this.clients.set(name, create());
    return this.clients.get(name) as T;
  }
}

export interface SourceDeps {
  readonly clock: Clock;
  /** The apiKey fingerprint, loaded when a pull first needs it. */
  readonly fingerprint: FingerprintSource;
  /** The App's shared clients; a fresh set when omitted. */
  readonly clients?: SharedClients;
  /** Told the secrets a source learns while pulling (99digital's access token, the numbers' apiKeys). */
  readonly scrubber?: SecretScrubber;
  /** Where pages are read into records: the App's page thread (page-thread.ts); the pull's own thread when omitted. */
  readonly pages?: PageReader;
}

export interface Upstream<N extends string = string, C = unknown> {
  /** The source name in the ledger, events and `--source`. */
  readonly name: N;
  /** As people write it, e.g. "360dialog". */
  readonly label: string;
  readonly config: ConfigSection<C>;
  /** Its kinds and event types (the catalogue; the running source may refine rules from settings). */
  readonly kinds: readonly KindSpec[];
  /** The digest section of each event type its kinds emit. */
  readonly sections: Readonly<Record<string, DigestSectionId>>;
  /** How each kind that emits events is shown. */
  readonly presenters: Readonly<Record<string, Presenter>>;
  readonly checks: readonly ReconcileCheck[];
  readonly joins: readonly JoinOffer[];
  /** Its webhook intake, when it pushes webhooks we read. */
  readonly webhook?: WebhookReader<C>;
  /** Event types only its webhooks tell (not derived from entity changes), with the kind whose presenter shows them. */
  readonly webhookEventKinds?: Readonly<Record<string, string>>;
  createSource(config: C, http: HttpConfig, deps: SourceDeps & { readonly clients: SharedClients }): Source;
}

/** Every event type a kind can emit. */
export function eventTypesOf(spec: KindSpec): string[] {
  if (!spec.events) return [];
  const { added, removed, changed, fieldEvents = [] } = spec.events;
  return [added, removed, changed, ...fieldEvents.map((rule) => rule.type)];
}

/** The first present value among the paths; a business object shows as "name (id)". */
export function pick(entity: Entity, paths: readonly string[]): string | null {
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

/** The first non-empty string among the fields (a one-line listing's name). */
export function pickString(entity: Entity, paths: readonly string[]): string | null {
  for (const path of paths) {
    let value: unknown = entity;
    for (const part of path.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    if (typeof value === 'string' && value) return value;
  }
  return null;
}
