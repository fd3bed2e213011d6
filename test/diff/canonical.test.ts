/**
 * Canonical JSON decides whether an entity changed: equal content must give equal text however
 * its keys were ordered, and the shortcut for values already in key order must write exactly what
 * sorting would.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/diff/canonical.js';

/** The definition: every object's keys sorted, undefined members left out. */
function reference(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value));
}

/** The same value with every object's keys in sorted order (the shortcut's case). */
function sortedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortedCopy((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

// With an undefined member added to objects, as optional fields built into a record have.
const values = fc.jsonValue().map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? { ...v, zz_missing: undefined } : v));

describe('canonicalJson', () => {
  it('writes what sorting every object would, for any JSON value in any key order', () => {
    fc.assert(fc.property(values, (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }));
  });

  it('writes the same text for a value already in key order, and for its reordered twin', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const ordered = sortedCopy(value);
        expect(canonicalJson(ordered)).toBe(reference(value));
        expect(canonicalJson(ordered)).toBe(canonicalJson(value));
      }),
    );
  });

  it('treats integer-like keys, nested arrays and a Date like the sorting definition', () => {
    const value = { b: [{ y: 1, x: [2, { d: 1, c: 2 }] }], a: { '10': 'ten', '9': 'nine' }, when: new Date(0) };
    expect(canonicalJson(value)).toBe(reference(value));
    expect(canonicalJson({ a: 1, b: { c: 2, d: [1, { e: 3 }] } })).toBe('{"a":1,"b":{"c":2,"d":[1,{"e":3}]}}');
  });
});
