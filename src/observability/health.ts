/**
 * Freshness per source, for /healthz and `status`: a source is fresh when its last complete pull
 * (any mode) finished within the allowed age. Pure given the rows; the query is separate.
 */
import type { Db } from '../../db/database.js';
import { lastCompleteRun } from '../sync/ledger.js';

export interface SourceFreshness {
  source: string;
  lastComplete: string | null;
  ageSeconds: number | null;
  fresh: boolean;
}

export interface Health {
  ok: boolean;
  checkedAt: string;
  maxAgeSeconds: number;
  sources: SourceFreshness[];
  stale: string[];
}

export function assessHealth(lastComplete: Record<string, string | null>, now: Date, maxAgeSeconds: number): Health {
  const sources = Object.entries(lastComplete).map(([source, at]) => {
    const ageSeconds = at === null ? null : Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 1000));
    return { source, lastComplete: at, ageSeconds, fresh: ageSeconds !== null && ageSeconds <= maxAgeSeconds };
  });
  const stale = sources.filter((s) => !s.fresh).map((s) => s.source);
  return { ok: stale.length === 0, checkedAt: now.toISOString(), maxAgeSeconds, sources, stale };
}

export async function readHealth(db: Db, sources: readonly string[], now: Date, maxAgeSeconds: number): Promise<Health> {
  const lastComplete: Record<string, string | null> = {};
  for (const source of sources) {
    lastComplete[source] = (await lastCompleteRun(db, source))?.finished_at ?? null;
  }
  return assessHealth(lastComplete, now, maxAgeSeconds);
}
