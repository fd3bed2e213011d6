/** The pure lifecycle: stages in order, digits matched across the ways upstreams write a number, stuck rules. */
import { describe, expect, it } from 'vitest';
import { lifecycleOf } from '../../../src/sources/digital99/lifecycle.js';
import type { OnboardingTimeline } from '../../../src/sources/digital99/onboardings.js';

const NOW = new Date('2026-11-20T12:00:00.000Z');
const SETTINGS = { now: NOW, stuckDays: 7, graceHours: 24 };

function timeline(fields: Partial<OnboardingTimeline> & { number?: string; finished?: boolean } = {}): OnboardingTimeline {
  const latest = { number: fields.number ?? '972501112233', finished: fields.finished ?? false, validFrom: '2026-11-10T10:00:00.000Z', validTo: null };
  return {
    link: 'https://onboarding.direct/1',
    coexistence: false,
    business: 'Acme',
    displayName: 'Acme',
    reference: null,
    createdAt: '2026-11-10T09:00:00.000Z',
    finishedAt: latest.finished ? latest.validFrom : null,
    removedAt: null,
    versions: [latest],
    latest,
    ...fields,
  };
}

describe('onboarding lifecycle', () => {
  it('matches the digits whatever the format, and the stage is the last step reached in order', () => {
    const meta = { label: 'Meta', firstSeen: new Map([['972501112233', '2026-11-12T00:00:00.000Z']]) };
    const dialog = { label: '360dialog', firstSeen: new Map([['972501112233', '2026-11-13T00:00:00.000Z']]) };
    // On Meta and 360dialog, but not (yet) in 99digital's numbers: the stage stops at "finished".
    const gap = lifecycleOf(timeline({ finished: true }), new Map(), [meta, dialog], SETTINGS);
    expect(gap.stage).toBe('finished');
    expect(gap.steps.map((s) => [s.name, s.reached])).toEqual([
      ['created', true],
      ['finished', true],
      ['99digital number', false],
      ['on Meta', true],
      ['on 360dialog', true],
    ]);
    const whole = lifecycleOf(timeline({ finished: true }), new Map([['972501112233', '2026-11-11T00:00:00.000Z']]), [meta, dialog], SETTINGS);
    expect(whole.stage).toBe('on 360dialog');
    expect(whole.ageDays).toBe(10);
  });

  it('never counts an unfinished link as live, even when its (temporary) digits show elsewhere', () => {
    const meta = { label: 'Meta', firstSeen: new Map([['972571234567', '2026-11-12T00:00:00.000Z']]) };
    const open = lifecycleOf(timeline({ number: '972571234567', createdAt: '2026-11-18T00:00:00.000Z' }), new Map([['972571234567', '2026-11-12T00:00:00.000Z']]), [meta], SETTINGS);
    expect(open.stage).toBe('created');
    expect(open.stuck).toBeNull();
  });

  it('is stuck when unfinished after ONBOARDING_STUCK_DAYS, or finished with no number after the grace period', () => {
    const unfinished = lifecycleOf(timeline(), new Map(), [], SETTINGS);
    expect(unfinished.stuck).toBe('unfinished');
    expect(unfinished.stuckDetail).toBe('not finished 10 days after it was created (2026-11-10); link to resend: https://onboarding.direct/1');
    expect(lifecycleOf(timeline(), new Map(), [], { ...SETTINGS, stuckDays: 11 }).stuck).toBeNull();

    expect(lifecycleOf(timeline({ finished: true }), new Map(), [], SETTINGS).stuck).toBe('no_number');
    expect(lifecycleOf(timeline({ finished: true }), new Map(), [], { ...SETTINGS, graceHours: 24 * 11 }).stuck).toBeNull();
    expect(lifecycleOf(timeline({ finished: true }), new Map([['972501112233', '2026-11-11T00:00:00.000Z']]), [], SETTINGS).stuck).toBeNull();
  });
});
