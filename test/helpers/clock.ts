/** A clock tests move by hand. */
import type { Clock } from '../../src/clock.js';

export interface ManualClock extends Clock {
  set(iso: string | Date): void;
  advance(ms: number): void;
}

export function manualClock(start = '2026-11-01T08:00:00.000Z'): ManualClock {
  let now = new Date(start).getTime();
  const clock = (() => new Date(now)) as ManualClock;
  clock.set = (value) => {
    now = new Date(value).getTime();
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}
