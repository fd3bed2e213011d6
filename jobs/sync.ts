/** The scheduled sync: one pull of every enabled source. */
import type { App } from '../src/app.js';
import type { RunResult } from '../src/sync/run-source.js';
import { syncSources } from '../src/sync/sync-sources.js';
import type { RunMode } from '../src/sync/types.js';

export async function syncJob(app: App, mode: RunMode, signal: AbortSignal): Promise<RunResult[]> {
  return syncSources({ db: app.db, clock: app.clock, log: app.log, signal }, [...app.sources.values()], mode);
}
