/**
 * Calendar months in TIMEZONE. A month is its local boundaries: from midnight on the 1st to
 * midnight on the next 1st, local time (so 23 or 25 hours of a DST day stay inside their month).
 */
import { TZDate } from '@date-fns/tz';
import { UsageError } from '../src/errors.js';

export interface Month {
  readonly year: number;
  /** 1–12 */
  readonly month: number;
}

export interface MonthBounds {
  /** Local midnight on the 1st, inclusive. */
  readonly start: Date;
  /** Local midnight on the next 1st, exclusive. */
  readonly end: Date;
}

const NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "2026-10" → {year: 2026, month: 10}; anything else is a usage error naming the option. */
export function parseMonth(text: string, option = '--month'): Month {
  const match = /^(\d{4})-(\d{2})$/.exec(text.trim());
  const month = match ? Number(match[2]) : 0;
  if (!match || month < 1 || month > 12) throw new UsageError(`${option}: expected a month as YYYY-MM, got ${JSON.stringify(text)}`);
  // WhatsApp Business (and so any counter) began in 2018; a year before 2000 is a typo, not a report.
  if (Number(match[1]) < 2000) throw new UsageError(`${option}: ${JSON.stringify(text)} is before 2000: no report`);
  return { year: Number(match[1]), month };
}

/** "2026-10" */
export function monthKey(m: Month): string {
  return `${m.year}-${String(m.month).padStart(2, '0')}`;
}

/** "102026", the mmyyyy form 99digital's statistics use. */
export function mmyyyy(m: Month): string {
  return `${String(m.month).padStart(2, '0')}${m.year}`;
}

/** "October 2026" */
export function monthName(m: Month): string {
  return `${NAMES[m.month - 1]} ${m.year}`;
}

/** "Oct 2026" */
export function shortMonthName(m: Month): string {
  return `${NAMES[m.month - 1]!.slice(0, 3)} ${m.year}`;
}

export function addMonths(m: Month, delta: number): Month {
  const index = m.year * 12 + (m.month - 1) + delta;
  return { year: Math.floor(index / 12), month: (((index % 12) + 12) % 12) + 1 };
}

export function compareMonths(a: Month, b: Month): number {
  return a.year * 12 + a.month - (b.year * 12 + b.month);
}

export function monthBounds(m: Month, timezone: string): MonthBounds {
  const next = addMonths(m, 1);
  return {
    start: new Date(new TZDate(m.year, m.month - 1, 1, timezone).getTime()),
    end: new Date(new TZDate(next.year, next.month - 1, 1, timezone).getTime()),
  };
}

/** The month an instant falls in, in `timezone`. */
export function monthOf(instant: Date, timezone: string): Month {
  const local = new TZDate(instant.getTime(), timezone);
  return { year: local.getFullYear(), month: local.getMonth() + 1 };
}

/** The `count` months ending with `last`, oldest first. */
export function monthsEndingWith(last: Month, count: number): Month[] {
  return Array.from({ length: count }, (_, i) => addMonths(last, i - count + 1));
}
