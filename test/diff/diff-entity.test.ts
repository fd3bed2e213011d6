import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffEntity, fieldChanges } from '../../src/diff/diff-entity.js';
import type { KindSpec } from '../../src/diff/types.js';
import { digital99Kinds } from '../../src/sources/digital99/kinds.js';

const [onboarding] = digital99Kinds('97257') as [KindSpec];

describe('diffEntity (pure)', () => {
  it('a coexistence onboarding that finishes: completed and number_swapped, nothing left for changed', () => {
    const before = { status: 0, whatsapp: '972571234567', coexistence: 1, display_name: 'Bakery' };
    const after = { status: 1, whatsapp: '972541112233', coexistence: 1, display_name: 'Bakery' };
    expect(diffEntity(onboarding, 'link', before, after).map((e) => [e.type, e.changes])).toEqual([
      ['onboarding.completed', { status: { from: 0, to: 1 } }],
      ['onboarding.number_swapped', { whatsapp: { from: '972571234567', to: '972541112233' } }],
    ]);
  });

  it('a number change that is not a swap (not from a temporary number) is a generic change', () => {
    const before = { status: 1, whatsapp: '972501111111', coexistence: 1 };
    const after = { status: 1, whatsapp: '972502222222', coexistence: 1 };
    expect(diffEntity(onboarding, 'link', before, after).map((e) => e.type)).toEqual(['onboarding.changed']);
  });

  it('status going back 1 → 0 is not a completion', () => {
    const events = diffEntity(onboarding, 'link', { status: 1 }, { status: 0 });
    expect(events.map((e) => e.type)).toEqual(['onboarding.changed']);
  });

  it('nested values compare structurally, regardless of key order', () => {
    expect(fieldChanges({ info: { id: '1', name: 'A' } }, { info: { name: 'A', id: '1' } })).toEqual({});
    expect(fieldChanges({ info: { id: '1' } }, { info: { id: '2' } })).toEqual({ info: { from: { id: '1' }, to: { id: '2' } } });
  });

  it('property: one change, one event — every changed field is reported exactly once, nothing else', () => {
    const value = fc.oneof(fc.constantFrom(0, 1), fc.constantFrom('972571234567', '972541112233', 'x'), fc.constant(null));
    const entity = fc.record({ status: value, whatsapp: value, coexistence: fc.constantFrom(0, 1), display_name: value, reference: value });
    fc.assert(
      fc.property(entity, entity, (before, after) => {
        const events = diffEntity(onboarding, 'k', before, after);
        const reported = events.flatMap((e) => Object.keys(e.changes ?? {}));
        expect(reported.sort()).toEqual(Object.keys(fieldChanges(before, after)).sort());
        expect(new Set(events.map((e) => e.type)).size).toBe(events.length);
      }),
    );
  });

  it('a kind without event types keeps history only', () => {
    expect(diffEntity({ kind: 'number_counters' }, 'n', null, { conversationsThisMonth: 1 })).toEqual([]);
  });
});
