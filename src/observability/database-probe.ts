/**
 * Whether the database answers, for /healthz: a cheap `select 1` bounded by a short timeout, so a
 * server that is down (or a network that swallows packets) turns /healthz into a quick 503 naming
 * the database instead of a request that hangs. Concurrent probes share one query, so a burst of
 * health checks never takes more than one of the pool's connections from the pulls.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { databaseError } from '../../db/database.js';
import { type Backend, backendOf, maskDatabaseUrl } from '../../db/url.js';
import { WabaSyncError } from '../errors.js';
import type { SecretScrubber } from '../secrets.js';

/** What /healthz says about the database: always its backend and masked URL; the error when it does not answer. */
export interface DatabaseStatus {
  readonly ok: boolean;
  readonly backend: Backend;
  /** DATABASE_URL with its password masked. */
  readonly url: string;
  /** Why it does not answer, naming DATABASE_URL (password masked). */
  readonly error?: string;
}

/** Long enough for a loaded server, short enough that /healthz answers well within its 10 s. */
export const DATABASE_PROBE_TIMEOUT_MS = 2_000;

export function databaseUp(url: string): DatabaseStatus {
  return { ok: true, backend: backendOf(url), url: maskDatabaseUrl(url) };
}

/** The status of a database that failed with `error`; the text goes through the scrubber (it may echo server text). */
export function databaseDown(url: string, error: unknown, scrubber: SecretScrubber): DatabaseStatus {
  // Opening it already named it (a WabaSyncError "DATABASE_URL: …"); anything else gets named here.
  const named = error instanceof WabaSyncError ? error : databaseError(url, 'does not answer', error);
  return { ok: false, backend: backendOf(url), url: maskDatabaseUrl(url), error: scrubber.scrub(named.message) };
}

export type DatabaseProbe = () => Promise<DatabaseStatus>;

export function createDatabaseProbe(db: Db, url: string, scrubber: SecretScrubber, timeoutMs = DATABASE_PROBE_TIMEOUT_MS): DatabaseProbe {
  let inFlight: Promise<DatabaseStatus> | null = null;
  const probe = async (): Promise<DatabaseStatus> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer to select 1 within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([sql`select 1`.execute(db), timeout]);
      return databaseUp(url);
    } catch (error) {
      return databaseDown(url, error, scrubber);
    } finally {
      clearTimeout(timer);
    }
  };
  return () => {
    inFlight ??= probe().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
}
