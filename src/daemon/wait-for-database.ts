/**
 * The daemon's start while its PostgreSQL server can't be reached (refused, timed out, shutting
 * down or starting up): instead of exiting, it says so — a log line per attempt and a 503 on
 * /healthz naming the database — and tries again after 1 s, 2 s, 4 s … up to 30 s between
 * attempts, until the server answers or the daemon is told to stop. What waiting can't heal (a
 * wrong password, a missing database, a SQLite path that can't be a database) still ends the start.
 */
import { Registry } from 'prom-client';
import { isPostgresUnreachable } from '../../db/postgres.js';
import { backendOf } from '../../db/url.js';
import type { App } from '../app.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { type DatabaseStatus, databaseDown } from '../observability/database-probe.js';
import type { ObservabilityDeps } from '../observability/server.js';
import { SecretScrubber, configuredSecrets } from '../secrets.js';

export const FIRST_RETRY_MS = 1_000;
export const MAX_RETRY_MS = 30_000;

/** The wait before attempt `attempt + 1` (0-based): doubling from FIRST_RETRY_MS, capped at MAX_RETRY_MS. */
export function retryDelayMs(attempt: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(attempt, 30));
}

/** Whether the daemon should wait for the database rather than exit: a PostgreSQL server that does not answer yet. */
export function worthWaitingFor(config: Pick<Config, 'databasePath'>, error: unknown): boolean {
  return backendOf(config.databasePath) === 'postgres' && isPostgresUnreachable(error);
}

export interface WaitDeps {
  readonly config: Config;
  readonly log: Logger;
  /** Aborted when the daemon is told to stop: the wait ends at once. */
  readonly signal: AbortSignal;
  /** One attempt to open the App (openApp). */
  readonly open: () => Promise<App>;
}

/**
 * While the database does not answer: what /healthz serves (503 with `database` naming it and the
 * last error) and `waitForDatabase`, which retries `open` with backoff. Returns the App once
 * opened, null when stopped first; throws what waiting can't heal.
 */
export function databaseWait(deps: WaitDeps, firstError: unknown) {
  const { config, log, signal } = deps;
  const scrubber = new SecretScrubber(configuredSecrets(config));
  let status: DatabaseStatus = databaseDown(config.databasePath, firstError, scrubber);

  const serverDeps: ObservabilityDeps = {
    metrics: { registry: new Registry() },
    health: async () => ({ ok: false, checkedAt: new Date().toISOString(), database: status }),
    onError: (error) => log.error({ error: scrubber.describe(error) }, 'health/metrics request failed'),
  };

  const waitForDatabase = async (): Promise<App | null> => {
    for (let attempt = 0; ; attempt++) {
      const delayMs = retryDelayMs(attempt);
      log.error({ database: status.url, error: status.error, retryInMs: delayMs, attempt: attempt + 1 }, `the database does not answer; the daemon waits for it (next try in ${delayMs / 1000} s)`);
      if (!(await sleep(delayMs, signal))) return null;
      try {
        const app = await deps.open();
        if (signal.aborted) {
          await app.close();
          return null;
        }
        log.info({ database: status.url, attempts: attempt + 2 }, 'the database answers: the daemon starts');
        return app;
      } catch (error) {
        if (!worthWaitingFor(config, error)) throw error;
        status = databaseDown(config.databasePath, error, scrubber);
      }
    }
  };

  return { serverDeps, waitForDatabase };
}

/** Waits `ms`; false when `signal` aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (slept: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(slept);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
