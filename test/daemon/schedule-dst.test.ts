import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextRuns, periodMs } from '../../src/schedule.js';

afterEach(() => {
  vi.useRealTimers();
});

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('schedules across DST (Asia/Jerusalem)', () => {
  it('spring forward: a local time that does not exist that day has no run that day', () => {
    vi.useFakeTimers({ now: new Date('2027-03-25T10:00:00Z') }); // clocks jump 02:00 → 03:00 on 26 March 2027
    expect(iso(nextRuns('30 2 * * *', 'Asia/Jerusalem', 2))).toEqual([
      '2027-03-26T23:30:00.000Z', // 27 March 02:30 IDT; 26 March has no 02:30
      '2027-03-27T23:30:00.000Z',
    ]);
  });

  it('fall back: a local time that occurs twice runs once, at its second occurrence', () => {
    vi.useFakeTimers({ now: new Date('2026-10-24T20:30:00Z') }); // 25 Oct 2026 02:00 IDT → 01:00 IST
    expect(iso(nextRuns('0 * * * *', 'Asia/Jerusalem', 3))).toEqual([
      '2026-10-24T21:00:00.000Z', // 00:00 IDT
      '2026-10-24T23:00:00.000Z', // 01:00 IST (01:00 IDT, 22:00Z, is not run)
      '2026-10-25T00:00:00.000Z', // 02:00 IST
    ]);
    expect(iso(nextRuns('30 1 * * *', 'Asia/Jerusalem', 1))).toEqual(['2026-10-24T23:30:00.000Z']);
  });

  it('the month-end expression L and the 1st run on local dates', () => {
    vi.useFakeTimers({ now: new Date('2027-03-15T00:00:00Z') });
    expect(iso(nextRuns('50 23 L * *', 'Asia/Jerusalem', 2))).toEqual(['2027-03-31T20:50:00.000Z', '2027-04-30T20:50:00.000Z']);
    expect(iso(nextRuns('0 6 1 * *', 'Asia/Jerusalem', 1))).toEqual(['2027-04-01T03:00:00.000Z']);
  });

  it('the period of a schedule is the gap between its next two runs', () => {
    vi.useFakeTimers({ now: new Date('2026-11-22T10:07:00Z') });
    expect(periodMs('*/15 * * * *', 'UTC')).toBe(15 * 60_000);
    expect(periodMs('0 */6 * * *', 'UTC')).toBe(6 * 3_600_000);
  });
});
