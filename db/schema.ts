/**
 * Table types, apart from domain types. Timestamps are ISO 8601 UTC strings written by our own clock
 * (never the database's), so they sort as text in SQLite and PostgreSQL alike. JSON columns are text.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export type RunOutcome = 'running' | 'complete' | 'failed';
/** `webhook`: a pull a webhook delivery caused (targeted at what it names, or a full pull it triggered). */
export type RunMode = 'full' | 'incremental' | 'webhook';
/** `all`: the pull read everything its mode reads; `targeted`: only the entities a webhook named (adds and updates, never removes). */
export type RunScope = 'all' | 'targeted';

/** The ledger: one row per pull of one source. */
export interface SyncRunTable {
  id: Generated<number>;
  source: string;
  mode: RunMode;
  started_at: string;
  finished_at: string | null;
  outcome: RunOutcome;
  /** Entities read in this pull. */
  entities: number;
  events: number;
  api_calls: number;
  /** JSON: entities per kind, and what the commit did (added/changed/removed per kind). */
  counts: string | null;
  error: string | null;
  /** Stable error code (AUTH, PAYLOAD, …) of a failed run. */
  error_code: string | null;
  scope: ColumnType<RunScope, RunScope | undefined, RunScope>;
}

/**
 * Entity history: one row per version. The current version has valid_to = null. Storage grows with
 * changes, not with runs; the state at moment T is the version with valid_from <= T < valid_to.
 */
export interface EntityVersionTable {
  id: Generated<number>;
  source: string;
  kind: string;
  key: string;
  /** JSON of the entity under upstream field names, secrets replaced by fingerprints. */
  data: string;
  hash: string;
  valid_from: string;
  valid_to: string | null;
  run_from: number;
  run_to: number | null;
}

/** A pull in progress: pages land here as they stream in; emptied when the run ends. */
export interface PullItemTable {
  run_id: number;
  kind: string;
  key: string;
  /** null: unchanged since the current version when staged (only the hash is kept). */
  data: string | null;
  hash: string;
}

export interface EventTable {
  id: Generated<number>;
  type: string;
  source: string;
  key: string;
  at: string;
  run_id: number | null;
  before: string | null;
  after: string | null;
  changes: string | null;
}

/** Findings of data checks on complete pulls (e.g. counters that don't add up). */
export interface DataCheckTable {
  id: Generated<number>;
  run_id: number;
  source: string;
  kind: string;
  key: string;
  check: string;
  detail: string;
  at: string;
}

/** Mutual exclusion across processes (daemon, one-shot) with expiry for crashed holders. */
export interface LeaseTable {
  name: string;
  holder: string;
  acquired_at: string;
  expires_at: string;
}

/** A scheduled firing (job, scheduled time) claimed by the one daemon that runs it. */
export interface JobClaimTable {
  job: string;
  /** The cron slot, ISO UTC: the same on every host whatever its clock says. */
  scheduled_at: string;
  holder: string;
  claimed_at: string;
}

/** Small per-source values carried between complete pulls (e.g. Meta's newest creation_time). */
export interface SourceStateTable {
  source: string;
  name: string;
  value: string;
  updated_at: string;
}

export interface AppSettingTable {
  name: string;
  value: string;
}

export type OutboxStatus = 'pending' | 'sent' | 'failed';

/** Every email, written in the transaction that decides it, then drained by the sender. */
export interface OutboxTable {
  id: Generated<number>;
  /** Permanent: the same logical email always has the same key, so it is queued once. */
  idempotency_key: string;
  /** Derived from the key when queued; the same on every attempt, so a duplicate is recognisable. */
  message_id: string;
  /** JSON array of addresses. */
  recipients: string;
  subject: string;
  text_body: string;
  html_body: string;
  /** JSON array of {filename, contentType, cid?, contentBase64}. */
  attachments: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

/** One row per digest queued. */
export interface DigestTable {
  id: Generated<number>;
  created_at: string;
  period_from: string;
  period_to: string;
  events: number;
  findings_opened: number;
  findings_cleared: number;
  idempotency_key: string;
}

/** Which digest covered an event (an event is covered at most once). */
export interface DigestEventTable {
  event_id: number;
  digest_id: number;
}

/** Reconciliation findings currently open: listed when they appear, again when they clear. */
export interface CheckFindingTable {
  check: string;
  key: string;
  detail: string;
  opened_at: string;
  /** The digest that listed it. */
  digest_id: number;
}

/** A source in trouble that has been alerted about; removed when the recovery is announced. */
export interface AlertEpisodeTable {
  source: string;
  /** Episodes are per source and mode: Meta's full pulls can fail while its incremental ones complete. */
  mode: RunMode;
  kind: 'failing' | 'credential';
  /** The failed run that opened the episode; part of its alerts' idempotency keys. */
  opened_run_id: number;
  opened_at: string;
  updated_at: string;
}

/** A monthly report handed to the outbox for one recipient (the outbox dedups by the same key). */
export interface ReportDeliveryTable {
  /** "report:<YYYY-MM>:<recipient>", with a suffix for a forced resend. */
  idempotency_key: string;
  /** YYYY-MM in TIMEZONE. */
  month: string;
  recipient: string;
  queued_at: string;
  /** 1 for a resend asked with --force. */
  forced: number;
}

/** A 99digital onboarding link waba-sync created (`onboarding create`), and who deleted it. */
export interface OnboardingRequestTable {
  onboarding_link: string;
  /** The number as 99digital answered it: the temporary one for a coexistence link. */
  number: string;
  coexistence: number;
  reference: string | null;
  business_name: string;
  /** The OS user, or what `--by` said. */
  created_by: string;
  created_at: string;
  deleted_by: string | null;
  deleted_at: string | null;
}

export interface Database {
  sync_run: SyncRunTable;
  entity_version: EntityVersionTable;
  pull_item: PullItemTable;
  event: EventTable;
  data_check: DataCheckTable;
  lease: LeaseTable;
  job_claim: JobClaimTable;
  source_state: SourceStateTable;
  app_setting: AppSettingTable;
  outbox: OutboxTable;
  digest: DigestTable;
  digest_event: DigestEventTable;
  check_finding: CheckFindingTable;
  alert_episode: AlertEpisodeTable;
  report_delivery: ReportDeliveryTable;
  webhook_inbox: WebhookInboxTable;
  onboarding_request: OnboardingRequestTable;
  event_feed: EventFeedTable;
  event_delivery: EventDeliveryTable;
}

export type SyncRunRow = Selectable<SyncRunTable>;
export type NewSyncRun = Insertable<SyncRunTable>;
export type SyncRunUpdate = Updateable<SyncRunTable>;
export type EntityVersionRow = Selectable<EntityVersionTable>;
export type NewEntityVersion = Insertable<EntityVersionTable>;
export type EventRow = Selectable<EventTable>;
export type NewEvent = Insertable<EventTable>;
export type NewDataCheck = Insertable<DataCheckTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type NewOutboxRow = Insertable<OutboxTable>;
export type AlertEpisodeRow = Selectable<AlertEpisodeTable>;
export type CheckFindingRow = Selectable<CheckFindingTable>;

/** One authenticated webhook delivery (src/intake/inbox.ts). The body is kept as received, minus nothing: no upstream puts a secret in it. */
export interface WebhookInboxTable {
  id: Generated<number>;
  /** The intake path it came in on: meta, dialog360, digital99. */
  upstream: string;
  /** SHA-256 (hex) of the raw body: a delivery with the same bytes is a duplicate (or, from an upstream whose bodies can't tell a repeat, processed again once this one was: inbox.ts). */
  body_hash: string;
  body: string;
  received_at: string;
  /** How many times these bytes arrived (duplicates counted). */
  deliveries: ColumnType<number, number | undefined, number>;
  last_received_at: string;
  attempts: ColumnType<number, number | undefined, number>;
  /** Not processed before this (a failed attempt waits before the next). */
  next_attempt_at: string;
  processed_at: string | null;
  /** applied | ignored | gave_up */
  outcome: string | null;
  /** What processing did, in words (targets read, events written, fields ignored). */
  note: string | null;
  error: string | null;
}
export type WebhookInboxRow = Selectable<WebhookInboxTable>;

/** Events not yet fanned out to the subscriptions (written by a trigger on `event`; src/delivery/fan-out.ts). */
export interface EventFeedTable {
  event_id: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event for one subscription (or `chat`): src/delivery/. */
export interface EventDeliveryTable {
  id: Generated<number>;
  /** EVENT_WEBHOOK_<NAME>'s NAME, or `chat`. */
  subscription: string;
  event_id: number;
  event_type: string;
  /** source + ":" + key: deliveries of one entity go out in event order. */
  entity: string;
  /** `msg_…`, fixed at fan-out: the same on every attempt. */
  webhook_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string;
  first_attempt_at: string | null;
  /** A daemon sending it holds it until then (several daemons on one database). */
  lease_until: string | null;
  lease_holder: string | null;
  /** Scrubbed and cut short; never a whole response body. */
  last_error: string | null;
  last_status: number | null;
  event_at: string;
  created_at: string;
  delivered_at: string | null;
}

export type EventDeliveryRow = Selectable<EventDeliveryTable>;
