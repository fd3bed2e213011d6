/**
 * Freshness per source, for /healthz: a source is fresh when its last complete pull (any mode)
 * finished within the allowed age. A source with incremental pulls (Meta) must also have completed a
 * FULL pull within its own allowed age: only full pulls notice unshares, removals and phone-number
 * changes, and frequent incremental completions would otherwise hide full pulls that always fail.
 * Pure given the rows; the query is separate.
 */
import type { Db } from '../../db/database.js';
import type { Config } from '../config.js';
import { periodMs } from '../schedule.js';
import { lastCompleteRun } from '../sync/ledger.js';
import type { DatabaseStatus } from './database-probe.js';
import type { IntakeSummary } from '../intake/inbox.js';

export interface Freshness {
  lastComplete: string | null;
  ageSeconds: number | null;
  fresh: boolean;
}

export interface SourceFreshness extends Freshness {
  source: string;
  /** Only for sources with incremental pulls: the last complete full pull. */
  full?: Freshness;
}

export interface Health {
  ok: boolean;
  checkedAt: string;
  maxAgeSeconds: number;
  maxFullAgeSeconds: number;
  sources: SourceFreshness[];
  /** Source names, and "<source> (full)" when only its full pulls are too old. */
  stale: string[];
  /** The database answered (the daemon adds it; freshness is read from it). */
  database?: DatabaseStatus;
  /** The webhook intake per upstream whose webhook is configured: last delivery, backlog (informational: polls stay the proof). */
  intake?: IntakeSummary[];
}

/** /healthz while the database does not answer (down, or not reached yet at start): nothing else can be told. */
export interface DatabaseDownHealth {
  ok: false;
  checkedAt: string;
  database: DatabaseStatus;
}

export type HealthReport = Health | DatabaseDownHealth;

export interface LastPulls {
  /** The last complete pull of any mode (finished_at). */
  readonly any: string | null;
  /** The last complete full pull, for a source that also pulls incrementally; undefined otherwise. */
  readonly full?: string | null;
}

export interface HealthLimits {
  readonly maxAgeSeconds: number;
  readonly maxFullAgeSeconds: number;
}

export function assessHealth(lastPulls: Record<string, LastPulls>, now: Date, limits: HealthLimits): Health {
  const freshness = (at: string | null, maxAgeSeconds: number): Freshness => {
    const ageSeconds = at === null ? null : Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 1000));
    return { lastComplete: at, ageSeconds, fresh: ageSeconds !== null && ageSeconds <= maxAgeSeconds };
  };
  const sources: SourceFreshness[] = Object.entries(lastPulls).map(([source, pulls]) => ({
    source,
    ...freshness(pulls.any, limits.maxAgeSeconds),
    ...(pulls.full !== undefined ? { full: freshness(pulls.full, limits.maxFullAgeSeconds) } : {}),
  }));
  const stale = sources.flatMap((s) => [...(s.fresh ? [] : [s.source]), ...(s.full && !s.full.fresh ? [`${s.source} (full)`] : [])]);
  return { ok: stale.length === 0, checkedAt: now.toISOString(), ...limits, sources, stale };
}

export interface HealthSource {
  readonly name: string;
  readonly supportsIncremental: boolean;
}

export async function readHealth(db: Db, sources: readonly HealthSource[], now: Date, limits: HealthLimits): Promise<Health> {
  const lastPulls: Record<string, LastPulls> = {};
  for (const source of sources) {
    const any = (await lastCompleteRun(db, source.name))?.finished_at ?? null;
    lastPulls[source.name] = source.supportsIncremental ? { any, full: (await lastCompleteRun(db, source.name, 'full'))?.finished_at ?? null } : { any };
  }
  return assessHealth(lastPulls, now, limits);
}

/** HEALTH_MAX_FULL_AGE_SECONDS, or by default two periods of FULL_SYNC_CRON (one missed full pull is tolerated). */
export function healthMaxFullAgeSeconds(config: Pick<Config, 'healthMaxFullAgeSeconds' | 'fullSyncCron' | 'timezone'>): number {
  return config.healthMaxFullAgeSeconds ?? Math.round((2 * periodMs(config.fullSyncCron, config.timezone)) / 1000);
}
