/** Console sessions end after their idle time; the login throttle lets an address try again once its failures age out. */
import { describe, expect, it } from 'vitest';
import { LoginThrottle, SessionStore, sameToken } from '../../src/console/sessions.js';
import { manualClock } from '../helpers/clock.js';

describe('console sessions', () => {
  it('keep a session alive while it is used and end it after the idle time', () => {
    const clock = manualClock();
    const store = new SessionStore(clock, 30 * 60_000);
    const session = store.create('ops');
    clock.advance(29 * 60_000);
    expect(store.touch(session.id)?.user).toBe('ops');
    clock.advance(29 * 60_000);
    expect(store.touch(session.id)?.user).toBe('ops');
    clock.advance(30 * 60_000 + 1);
    expect(store.touch(session.id)).toBeUndefined();
    // Gone for good, even if the clock goes back.
    clock.advance(-60 * 60_000);
    expect(store.touch(session.id)).toBeUndefined();
    expect(store.touch('made-up')).toBeUndefined();
  });

  it('compares tokens exactly', () => {
    expect(sameToken('abc', 'abc')).toBe(true);
    expect(sameToken('abd', 'abc')).toBe(false);
    expect(sameToken('ab', 'abc')).toBe(false);
    expect(sameToken(undefined, 'abc')).toBe(false);
  });
});

describe('the login throttle', () => {
  it('refuses an address after five failures in 15 minutes, and not another address; it ages out', () => {
    const clock = manualClock();
    const throttle = new LoginThrottle(clock);
    for (let i = 0; i < 4; i++) {
      throttle.attempt('10.0.0.1');
      clock.advance(60_000);
    }
    expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(0);
    throttle.attempt('10.0.0.1');
    expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(11 * 60);
    expect(throttle.retryAfterSeconds('10.0.0.2')).toBe(0);
    clock.advance(11 * 60_000);
    expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(0);
  });

  it('counts an attempt from its start, and a success takes back only its own', () => {
    const clock = manualClock();
    const throttle = new LoginThrottle(clock);
    const first = throttle.attempt('10.0.0.1');
    for (let i = 0; i < 4; i++) throttle.attempt('10.0.0.1');
    expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(15 * 60);
    first();
    expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(0);
    throttle.attempt('10.0.0.1')();
    expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(0);
    throttle.attempt('10.0.0.1');
    expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(15 * 60);
  });
});
