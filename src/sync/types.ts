/** What a source implements and what the sync runner gives it. */
import type { RunMode } from '../../db/schema.js';
import type { SourceName } from '../config.js';
import type { Entity, KindSpec } from '../diff/types.js';

export type { RunMode };

/** One entity of a page, as the source built it, or already in canonical form (src/sources/prepared.ts). */
export type StagedEntity = EntityRecord | PreparedEntity;

/** An entity as a source built it: the comparison writes `data` as canonical JSON and hashes it. */
export interface EntityRecord {
  readonly key: string;
  readonly data: Entity;
}

/** An entity whose record was written as canonical JSON and hashed where its page was read. */
export interface PreparedEntity {
  readonly key: string;
  /** canonicalJson(record) */
  readonly text: string;
  /** contentHash(text) */
  readonly hash: string;
}

/** A data-check finding (e.g. counters that don't add up), recorded only with a complete pull. */
export interface CheckFinding {
  readonly kind: string;
  readonly key: string;
  readonly check: string;
  readonly detail: string;
}

export interface PullContext {
  readonly runId: number;
  readonly mode: RunMode;
  /** Aborted on shutdown; clients pass it to every request. */
  readonly signal: AbortSignal;
  now(): Date;
  /** Writes one page of entities into the pull as it streams in. A key may appear once per kind. */
  stage(kind: string, items: readonly StagedEntity[]): Promise<void>;
  /**
   * Throws away everything staged so far for one kind, so the source can read it again from the
   * start (e.g. a sweep found inconsistent after its pages were staged). No page of that kind may
   * be staged while it runs.
   */
  discard(kind: string): Promise<void>;
  /** Counts one HTTP request (each attempt, retries included). */
  countApiCall(call: string): void;
  /** Counts one retry (also counted as an API call). */
  countRetry(call: string): void;
  /** Reports an upstream usage header as a percentage (100 = throttled), for metrics. */
  reportUsage(metric: string, percent: number): void;
  recordCheck(finding: CheckFinding): void;
  /** A value saved by an earlier complete pull of this source (null when none). */
  readState(name: string): Promise<string | null>;
  /** Saved with this pull's commit, and only if it completes. */
  writeState(name: string, value: string): void;
  /** A short progress line for a terminal. */
  progress(message: string): void;
}

/**
 * What a complete pull covered, per kind: `complete` means an entity missing from the pull is
 * gone; `partial` (e.g. an incremental listing) only adds and updates. Kinds not named are untouched.
 */
export type Coverage = Readonly<Record<string, 'complete' | 'partial'>>;

export interface PullResult {
  readonly coverage: Coverage;
}

export interface Source {
  readonly name: SourceName;
  /** Kinds in the order their events are written (an onboarding completes before its number appears). */
  readonly kinds: readonly KindSpec[];
  readonly supportsIncremental: boolean;
  /** Reads everything for `ctx.mode`, staging it page by page; throws on any failure. */
  pull(ctx: PullContext): Promise<PullResult>;
  /**
   * Reads only the targets a webhook named (in the source's own words, from its webhook reader)
   * and stages what they are now; applied as a partial pull, whatever coverage it returns.
   */
  pullTargets?(ctx: PullContext, targets: readonly string[]): Promise<PullResult>;
}
