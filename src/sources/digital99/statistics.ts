/**
 * getConversationsStatistics: 99digital's own monthly history (from 12/2024), used by the monthly
 * report to cross-check the stored counters. Where the list sits in the answer is not documented
 * (UPSTREAM.md §3 gives only the item shape): `list` like the other calls, or `data`.
 */
import { PayloadError } from '../../errors.js';
import { parseItem } from '../validation.js';
import { monthlyStatistics } from './schemas.js';

const SOURCE = 'digital99';

/** One month of 99digital's statistics under the report's names; `month` is "YYYY-MM". */
export interface MonthlyStatistics {
  readonly month: string;
  readonly conversations: number;
  readonly marketing: number;
  readonly service: number;
  readonly incoming: number;
}

export interface StatisticsRange {
  /** mmyyyy, inclusive */
  readonly start: string;
  /** mmyyyy, inclusive */
  readonly end: string;
  /** Only this number's figures. */
  readonly whatsapp?: string;
}

export function statisticsParams(range: StatisticsRange): Record<string, string> {
  return { start_date: range.start, end_date: range.end, ...(range.whatsapp ? { whatsapp: range.whatsapp } : {}) };
}

export function readStatistics(body: Record<string, unknown>): MonthlyStatistics[] {
  const field = ['list', 'data'].find((name) => Array.isArray(body[name]));
  if (!field) throw new PayloadError(SOURCE, 'getConversationsStatistics', 'field list: missing or not an array');
  return (body[field] as unknown[]).map((value, index) => {
    const parsed = parseItem(monthlyStatistics, value, { list: field, index, keyField: 'monthYear' });
    if (!parsed.ok) throw new PayloadError(SOURCE, 'getConversationsStatistics', parsed.message);
    const { monthYear, totalConversations, totalMarketing, totalService, totalIncoming } = parsed.value;
    return {
      month: `${monthYear.slice(2)}-${monthYear.slice(0, 2)}`,
      conversations: totalConversations,
      marketing: totalMarketing,
      service: totalService,
      incoming: totalIncoming,
    };
  });
}
