import { describe, expect, it } from 'vitest';
import { addMonths, monthBounds, monthOf, monthsEndingWith, parseMonth } from '../../reports/month.js';

describe('report months in TIMEZONE', () => {
  it('bounds a month by local midnight, across the DST changes of Asia/Jerusalem', () => {
    // October 2026 starts in summer time (UTC+3) and ends in winter time (UTC+2): 745 hours.
    const october = monthBounds({ year: 2026, month: 10 }, 'Asia/Jerusalem');
    expect(october.start.toISOString()).toBe('2026-09-30T21:00:00.000Z');
    expect(october.end.toISOString()).toBe('2026-10-31T22:00:00.000Z');
    expect((october.end.getTime() - october.start.getTime()) / 3_600_000).toBe(31 * 24 + 1);
    // March 2026 starts in winter time and ends in summer time: 743 hours.
    const march = monthBounds({ year: 2026, month: 3 }, 'Asia/Jerusalem');
    expect(march.start.toISOString()).toBe('2026-02-28T22:00:00.000Z');
    expect(march.end.toISOString()).toBe('2026-03-31T21:00:00.000Z');
  });

  it('puts an instant just after local midnight on the 1st into the new month', () => {
    expect(monthOf(new Date('2026-09-30T21:05:00Z'), 'Asia/Jerusalem')).toEqual({ year: 2026, month: 10 });
    expect(monthOf(new Date('2026-09-30T20:55:00Z'), 'Asia/Jerusalem')).toEqual({ year: 2026, month: 9 });
    expect(monthOf(new Date('2026-09-30T21:05:00Z'), 'UTC')).toEqual({ year: 2026, month: 9 });
  });

  it('steps across years and lists the trend months oldest first', () => {
    expect(addMonths({ year: 2026, month: 1 }, -1)).toEqual({ year: 2025, month: 12 });
    expect(addMonths({ year: 2025, month: 12 }, 1)).toEqual({ year: 2026, month: 1 });
    const trend = monthsEndingWith({ year: 2026, month: 3 }, 12);
    expect(trend[0]).toEqual({ year: 2025, month: 4 });
    expect(trend.at(-1)).toEqual({ year: 2026, month: 3 });
  });

  it('rejects a month that is not YYYY-MM, naming the option', () => {
    expect(() => parseMonth('2026-13')).toThrow(/--month: expected a month as YYYY-MM, got "2026-13"/);
    expect(() => parseMonth('10/2026')).toThrow(/--month/);
    expect(parseMonth('2026-10')).toEqual({ year: 2026, month: 10 });
  });
});
