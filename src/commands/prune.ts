/** `prune [--dry-run]`: applies the RETAIN_*_DAYS settings now and says, per table, what went (or would go). */
import { type PruneResult, prune, pruneOptions } from '../retention/prune.js';
import { textTable } from '../render/text-table.js';
import { systemClock } from '../clock.js';
import { commandConfig, withApp } from './context.js';
import { type CliIo, writeLine } from './io.js';

export async function pruneCommand(io: CliIo, options: { dryRun?: boolean }): Promise<number> {
  const dryRun = options.dryRun === true;
  return withApp(io, commandConfig(io), async ({ config, db }) => {
    const result = await prune(db, pruneOptions(config, (io.clock ?? systemClock)(), dryRun));
    writeLine(io.stdout, dryRun ? 'Retention, dry run (nothing deleted): rows that would be deleted' : 'Retention: rows deleted');
    writeLine(io.stdout, renderPrune(result));
    if (result.pagesReleased > 0) writeLine(io.stdout, `SQLite: ${result.pagesReleased} free pages returned to the file system.`);
    return 0;
  });
}

export function renderPrune(result: PruneResult): string {
  return textTable(
    ['TABLE', 'ROWS', 'SETTING', 'WHAT'],
    result.tables.map((table) => [table.table, table.rows === null ? '-' : String(table.rows), table.variable, table.what]),
  );
}
