/** From the database (and 99digital's statistics, where they answer) to a rendered report. */
import type { Db } from '../db/database.js';
import type { App } from '../src/app.js';
import { digital99Client } from '../src/sources/digital99/client.js';
import { WabaSyncError } from '../src/errors.js';
import { buildReport } from './model.js';
import { type Month, compareMonths, mmyyyy } from './month.js';
import { type StatisticsReader, loadReportData } from './query.js';
import { type RenderedReport, renderReport } from './render.js';
import type { Counters } from './types.js';

export interface ReportDeps {
  readonly db: Db;
  readonly timezone: string;
  readonly staleHours: number;
  readonly statistics: StatisticsReader | null;
  readonly now: Date;
  readonly signal?: AbortSignal;
}

export async function makeReport(deps: ReportDeps, month: Month): Promise<RenderedReport> {
  const data = await loadReportData(deps.db, { month, timezone: deps.timezone, now: deps.now, statistics: deps.statistics, signal: deps.signal });
  return renderReport(buildReport(data, { staleHours: deps.staleHours }));
}

const FIRST_STATISTICS_MONTH: Month = { year: 2024, month: 12 };

/** getConversationsStatistics through the App's 99digital client, or null when 99digital is not configured. */
export function statisticsReader(app: Pick<App, 'config' | 'clock' | 'clients' | 'scrubber'>): StatisticsReader | null {
  const { config, clock, scrubber } = app;
  if (!config.digital99) return null;
  // The report quotes a failure's message (and may be mailed): no credential may be in it.
  const client = digital99Client(app.clients, { ...config.digital99, ...config.http, clock, scrubber });
  return async (range, signal) => {
    // 99digital's statistics start in December 2024.
    if (compareMonths(range.to, FIRST_STATISTICS_MONTH) < 0) return new Map();
    const from = compareMonths(range.from, FIRST_STATISTICS_MONTH) < 0 ? FIRST_STATISTICS_MONTH : range.from;
    client.beginPull();
    try {
      const list = await client.conversationsStatistics({ start: mmyyyy(from), end: mmyyyy(range.to) }, { signal });
      return new Map<string, Counters>(list.map(({ month, ...counters }) => [month, counters]));
    } catch (error) {
      throw error instanceof WabaSyncError ? new WabaSyncError(error.code, scrubber.describe(error), { cause: error }) : error;
    }
  };
}
