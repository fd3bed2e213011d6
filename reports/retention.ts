/**
 * What the monthly reports of the current and the previous month read from the stored history
 * (see query.ts), so that retention (src/retention/) never takes it away: a report of last month
 * run today, or sent by the daemon on the 1st, is the same as before pruning.
 *
 * The report of month M reads the 99digital snapshots (entity versions valid at a pull's start)
 * and ledger rows of: the complete pulls in M, the last one before M (the previous month's figures
 * and who was added or removed), and, for the twelve-month trend, the last complete pull of each
 * month. For M and M-1 together that is everything from the last complete pull before M-1 on
 * (the floor), plus one pull per earlier trend month.
 */
import type { Db } from '../db/database.js';
import { SOURCE } from '../src/sources/digital99/stored.js';
import { type CompletePullRef, completePullStartedIn, lastCompletePullStartedBefore } from '../src/sync/ledger.js';
import { addMonths, monthBounds, monthOf, monthsEndingWith } from './month.js';
import { TREND_MONTHS } from './query.js';

export interface ReportHorizon {
  /** The source whose history the report reads. */
  readonly source: string;
  /** Runs started at or after this instant, and versions valid at it or later, are read. */
  readonly floor: string;
  /** Earlier pulls the trend reads (the last complete one of each month): their runs and the versions valid at their start. */
  readonly trendPulls: readonly CompletePullRef[];
}

export async function reportHorizon(db: Db, now: Date, timezone: string): Promise<ReportHorizon> {
  const previous = addMonths(monthOf(now, timezone), -1);
  const previousStart = monthBounds(previous, timezone).start.toISOString();
  const before = await lastCompletePullStartedBefore(db, SOURCE, previousStart);
  const floor = before && before.started_at < previousStart ? before.started_at : previousStart;
  const trendPulls: CompletePullRef[] = [];
  // The previous month's trend starts TREND_MONTHS - 1 months before it.
  for (const month of monthsEndingWith(addMonths(previous, -1), TREND_MONTHS - 1)) {
    const bounds = monthBounds(month, timezone);
    const pull = await completePullStartedIn(db, SOURCE, { from: bounds.start.toISOString(), to: bounds.end.toISOString() }, 'last');
    if (pull && pull.started_at < floor) trendPulls.push(pull);
  }
  return { source: SOURCE, floor, trendPulls };
}
