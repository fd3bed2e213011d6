/**
 * How much of an upstream string a person is shown. Upstreams can send anything (a 5 MB business
 * name has been seen), and every rendering ends up in an email or on a terminal, so display is cut;
 * what is stored stays whole (`events --json` prints it).
 */

/** One upstream value in its own column: a name, a number, an id, a business. */
export const VALUE_MAX_CHARS = 200;

/**
 * A whole cell or line, also one built from several values (a digest row's detail, an event's
 * changes): the cap every shared renderer applies, so no renderer can forget it.
 */
export const CELL_MAX_CHARS = 1_000;

/**
 * `value` when it is at most `max` UTF-16 units long; otherwise its start and "…", `max` units in
 * all. Never splits a surrogate pair (an emoji stays whole or goes).
 */
export function truncate(value: string, max: number = CELL_MAX_CHARS): string {
  if (value.length <= max) return value;
  let end = max - 1;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${value.slice(0, end)}…`;
}

/** A single upstream value for display (null stays null). */
export function displayValue(value: string): string;
export function displayValue(value: string | null): string | null;
export function displayValue(value: string | null): string | null {
  return value === null ? null : truncate(value, VALUE_MAX_CHARS);
}
