/** `sync`: one pull of each enabled source (or the one named), with a summary per source. */
import { databaseError } from '../../db/database.js';
import { type SourceName, enabledSources } from '../config.js';
import { UsageError } from '../errors.js';
import { textTable } from '../render/text-table.js';
import { notifyAfterSync } from '../notify/mailer.js';
import type { RunResult } from '../sync/run-source.js';
import { syncSources } from '../sync/sync-sources.js';
import type { Source } from '../sync/types.js';
import { stripControlChars } from '../render/plain-text.js';
import { type CliIo, writeLine } from './io.js';
import { commandConfig, withApp } from './context.js';

export interface SyncOptions {
  source?: SourceName;
  incremental?: boolean;
}

/** Exit code: 0 every selected source completed, 1 any failed. Usage/config errors throw. */
export async function syncCommand(io: CliIo, options: SyncOptions): Promise<number> {
  const config = commandConfig(io);
  const enabled = enabledSources(config);
  if (options.source && !enabled.includes(options.source)) {
    throw new UsageError(`--source ${options.source}: this source is not enabled: ${config.disabledReasons[options.source]}`);
  }
  if (enabled.length === 0) {
    const hints = Object.entries(config.disabledReasons)
      .filter(([, reason]) => reason?.startsWith('set '))
      .map(([name, reason]) => `  ${name}: ${reason}`);
    throw new UsageError(`No source is enabled. Set the credentials of at least one:\n${hints.join('\n')}`);
  }
  return withApp(io, config, async (app) => {
    const selected = (options.source ? [options.source] : enabled).map((name) => app.sources.get(name)).filter((s): s is Source => !!s);
    const progress = io.stderr.isTTY ? terminalProgress(io.stderr) : undefined;
    const results = await syncSources(
      { db: app.db, clock: app.clock, log: app.log, scrubber: app.scrubber, signal: io.signal, onProgress: progress?.update },
      selected,
      options.incremental ? 'incremental' : 'full',
    );
    progress?.done();
    writeLine(io.stdout, summaryTable(results));
    for (const result of results.filter((r) => r.outcome === 'failed')) {
      // The database failing mid-pull: say which one (DATABASE_URL, password masked).
      const error = result.errorCode === 'DATABASE' ? databaseError(config.databasePath, 'failed during the pull', new Error(result.error)).message : result.error;
      writeLine(io.stdout, `${result.source} failed: ${error}`);
    }
    const notified = await notifyAfterSync(app);
    for (const alert of notified.alerts.filter((a) => a.queued)) writeLine(io.stdout, `alert queued for ${config.mail.alertTo.join(', ')}: ${alert.email.subject}`);
    if (notified.drain?.lastError) writeLine(io.stdout, `outbox: ${notified.drain.pending} email(s) not sent yet (${notified.drain.lastError}); retried later, see \`outbox\``);
    if (notified.error) writeLine(io.stdout, `alerts/outbox: ${notified.error}`);
    return results.every((r) => r.outcome === 'complete') ? 0 : 1;
  });
}

export function summaryTable(results: readonly RunResult[]): string {
  return textTable(
    ['SOURCE', 'MODE', 'OUTCOME', 'ENTITIES', 'EVENTS', 'API CALLS', 'DURATION'],
    results.map((r) => [
      r.source,
      r.mode,
      r.outcome === 'complete' && r.baseline ? 'complete (baseline)' : r.outcome,
      String(r.entities),
      String(r.events),
      String(r.apiCalls),
      `${(r.durationMs / 1000).toFixed(1)} s`,
    ]),
  );
}

/** One self-overwriting line per update on a terminal. */
function terminalProgress(stream: NodeJS.WritableStream): { update: (source: string, message: string) => void; done: () => void } {
  return {
    // Our own escape (erase the line) only: the message may quote upstream text.
    update: (source, message) => stream.write(`\r\u001b[K${source}: ${stripControlChars(message)}`),
    done: () => stream.write('\r\u001b[K'),
  };
}
