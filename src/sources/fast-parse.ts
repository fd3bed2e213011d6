/**
 * Fast paths beside a zod schema, for the items a pull reads by the hundred thousand.
 *
 * zod stays the definition of what an item may be and the only voice of a refusal; a fast reader
 * handles the common, well-formed item in a fraction of zod's time (docs/benchmark.md, "Pulls at
 * the speed of the network") and answers FAIL for anything it is not sure of, which then goes to zod — to be
 * accepted by its tolerant rules (an id with spaces around it, say) or refused with a message that
 * names the field. A fast reader must return exactly what its schema would, keys in the same order:
 * test/sources/fast-parse.test.ts holds each one to its schema on arbitrary input.
 *
 * The objects it builds get their keys in one fixed order, one at a time, so they all share one
 * shape: serialising them (canonical JSON) is cheaper too.
 */

/** "Not sure": let the schema decide. */
export const FAIL: unique symbol = Symbol('fast-parse: ask the schema');

export type FastReader<T> = (value: unknown) => T | typeof FAIL;

const DIGITS = /^\d+$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Free text that may be missing or null; numbers and booleans become their text (`text` in meta/schemas.ts). */
export const optionalText: FastReader<string | null> = (value) => {
  switch (typeof value) {
    case 'string':
      return value;
    case 'undefined':
      return null;
    case 'number':
    case 'boolean':
      return String(value);
    default:
      return value === null ? null : FAIL;
  }
};

/** A numeric id, quoted or not, as a string; one with spaces around it is left to the schema (which trims). */
export const numericId: FastReader<string> = (value) => {
  if (typeof value === 'string') return DIGITS.test(value) ? value : FAIL;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : FAIL;
  return FAIL;
};

/** Unix seconds as a number or a numeric string; missing or null is null. */
export const optionalUnixSeconds: FastReader<number | null> = (value) => {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : FAIL;
  if (typeof value === 'string') return DIGITS.test(value) ? Number(value) : FAIL;
  return FAIL;
};

/** A boolean that may be missing or null. */
export const optionalBoolean: FastReader<boolean | null> = (value) => {
  if (typeof value === 'boolean') return value;
  return value === undefined || value === null ? null : FAIL;
};

/** Missing or null is null; otherwise `read` decides. */
export function orNull<T>(read: FastReader<T>): FastReader<T | null> {
  return (value) => (value === undefined || value === null ? null : read(value));
}

/** A string that may be missing (left out of the result then); anything else is the schema's to judge. */
export function optionalString(value: unknown): string | undefined | typeof FAIL {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : FAIL;
}

/**
 * An object with these fields, read in this order (unknown keys dropped, like z.object). A field
 * whose reader answers `undefined` is left out, as zod leaves out a missing optional key; with
 * `dropNull`, so is one that reads as null (the Meta business-info objects keep only what is set).
 */
export function fastObject<T>(fields: { readonly [K in keyof T]-?: (value: unknown) => T[K] | typeof FAIL }, options: { dropNull?: boolean } = {}): FastReader<T> {
  const keys = Object.keys(fields) as (keyof T & string)[];
  const readers = keys.map((key) => fields[key] as (value: unknown) => unknown);
  const dropNull = options.dropNull === true;
  return (value) => {
    if (!isPlainObject(value)) return FAIL;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const read = readers[i]!(value[keys[i]!]);
      if (read === FAIL) return FAIL;
      if (read === undefined || (dropNull && read === null)) continue;
      out[keys[i]!] = read;
    }
    return out as T;
  };
}

/** Missing stays missing (the key is left out); anything else is `read`'s. */
export function optional<T>(read: FastReader<T>): FastReader<T | undefined> {
  return (value) => (value === undefined ? undefined : read(value));
}

/** An array of anything (z.array(z.unknown())). */
export const unknownArray: FastReader<unknown[]> = (value) => (Array.isArray(value) ? value : FAIL);
