/** Messages between the benchmark and its sync worker (a child process, so its memory is its own). */
import type { SourceName } from '../config.js';
import type { RunMode } from '../sync/types.js';

export type WorkerRequest =
  | { readonly id: number; readonly op: 'open'; readonly env: Record<string, string> }
  | { readonly id: number; readonly op: 'sync'; readonly source: SourceName; readonly mode: RunMode }
  | { readonly id: number; readonly op: 'rawInsert'; readonly source: SourceName; readonly dir: string }
  | { readonly id: number; readonly op: 'readFloor'; readonly source: SourceName; readonly requests: readonly RecordedRequest[]; readonly concurrency: number }
  | { readonly id: number; readonly op: 'dbSize' }
  | { readonly id: number; readonly op: 'startIntake' }
  | { readonly id: number; readonly op: 'intakeSettled' }
  | { readonly id: number; readonly op: 'stopIntake' }
  | { readonly id: number; readonly op: 'lastEventId' }
  | { readonly id: number; readonly op: 'eventsAfter'; readonly after: number }
  | { readonly id: number; readonly op: 'eventIdsAfter'; readonly after: number }
  | { readonly id: number; readonly op: 'startDelivery' }
  | { readonly id: number; readonly op: 'close' };

export interface SyncReply {
  readonly outcome: 'complete' | 'failed';
  readonly error?: string;
  readonly wallMs: number;
  readonly stageMs: number;
  readonly commitMs: number;
  /** Time the App's page thread spent reading this pull's pages (src/sources/page-thread.ts). */
  readonly pageThreadMs: number;
  readonly entities: number;
  readonly events: number;
  readonly eventTypes: Record<string, number>;
  readonly apiCalls: number;
  readonly retries: number;
  /** Peak resident set size of the worker so far (MB). */
  readonly maxRssMb: number;
}

/** An event as the webhook phase reads it back: when it was written, for what. */
export interface EventStamp {
  readonly type: string;
  readonly key: string;
  readonly at: string;
}

export interface RawInsertReply {
  readonly rows: number;
  /** Into a bare table keyed by (kind, key): the lower bound. */
  readonly ms: number;
  /** Into a table with entity_version's columns and indexes, one transaction (issue 20's "same-schema insert"). */
  readonly sameSchemaMs: number;
}

/** A request one pull sent, as the simulator received it, to be sent again (the read floor). */
export interface RecordedRequest {
  readonly method: string;
  /** Absolute URL, query included. */
  readonly url: string;
  /** The request's own headers (authorization, content-type, …), without the connection's. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The read floor of one pull: its requests sent again, `concurrency` at a time, each answer JSON.parse'd. */
export interface ReadFloorReply {
  readonly ms: number;
  readonly requests: number;
  /** Bytes of the answers' bodies. */
  readonly bytes: number;
}

export interface DbSizeReply {
  /** Main file plus WAL, after a checkpoint (bytes). */
  readonly bytes: number;
  readonly pages: number;
  readonly freePages: number;
}

export type WorkerReply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string };
