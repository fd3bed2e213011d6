/** The scheduled sync: one pull of every enabled source, then alerts and the outbox. */
import type { App } from '../src/app.js';
import type { RunResult } from '../src/sync/run-source.js';
import { syncSources } from '../src/sync/sync-sources.js';
import { notifyAfterSync } from '../src/notify/mailer.js';
import type { RunMode } from '../src/sync/types.js';

export async function syncJob(app: App, mode: RunMode, signal: AbortSignal): Promise<RunResult[]> {
  const results = await syncSources({ db: app.db, clock: app.clock, log: app.log, signal }, [...app.sources.values()], mode);
  // Alerts are decided from the ledger just written, then the outbox drains (retrying earlier emails too).
  await notifyAfterSync({ db: app.db, clock: app.clock, log: app.log, config: app.config });
  return results;
}
