/**
 * Pure: splitting a WABA listing by creation_time into slices that separate cursor chains can walk
 * at once, and together produce exactly what one sequential walk would.
 *
 * Each slice owns a half-open range [from, to) of creation_time (unix seconds, whole numbers); the
 * first is open below and the last open above, so WABAs created during the pull or before the
 * probed minimum are still found. The ranges are disjoint and cover every whole number, so a WABA
 * belongs to exactly one slice.
 *
 * Whether Graph's GREATER_THAN / LESS_THAN / IN_RANGE include their endpoints is not documented,
 * so the filter sent is one second wider than the slice on the lower side and exactly on the upper
 * side — a superset under either reading — and each item is kept only when its creation_time lies
 * in the slice. Either semantics gives the same result; only an item sitting on an edge may be
 * transferred twice (and kept once).
 */

export interface Slice {
  /** Inclusive lower bound; null = no lower bound. */
  readonly from: number | null;
  /** Exclusive upper bound; null = no upper bound. */
  readonly to: number | null;
}

export const WHOLE: Slice = { from: null, to: null };

/** `count` slices over [min, max]: boundaries spread evenly; fewer when the range has fewer seconds. */
export function planSlices(min: number, max: number, count: number): Slice[] {
  const span = Math.max(1, max - min + 1);
  const k = Math.max(1, Math.min(count, span));
  const bounds: number[] = [];
  for (let i = 0; i <= k; i++) bounds.push(min + Math.floor((i * span) / k));
  return Array.from({ length: k }, (_, i) => ({
    from: i === 0 ? null : bounds[i]!,
    to: i === k - 1 ? null : bounds[i + 1]!,
  }));
}

export function inSlice(slice: Slice, creationTime: number | null): boolean {
  if (creationTime === null) return slice.from === null; // can't be placed: the first slice keeps it
  return (slice.from === null || creationTime >= slice.from) && (slice.to === null || creationTime < slice.to);
}

/** The `filtering` parameter for a slice (JSON), or null for the whole listing. */
export function sliceFilter(slice: Slice): string | null {
  const { from, to } = slice;
  if (from === null && to === null) return null;
  if (from === null) return JSON.stringify([{ field: 'creation_time', operator: 'LESS_THAN', value: String(to) }]);
  if (to === null) return JSON.stringify([{ field: 'creation_time', operator: 'GREATER_THAN', value: String(from - 1) }]);
  return JSON.stringify([{ field: 'creation_time', operator: 'IN_RANGE', value: [String(from - 1), String(to)] }]);
}

export function sliceLabel(slice: Slice, index: number, total: number): string {
  const range =
    slice.from === null && slice.to === null
      ? 'all'
      : slice.from === null
        ? `< ${slice.to}`
        : slice.to === null
          ? `>= ${slice.from}`
          : `${slice.from}..${slice.to - 1}`;
  return `(slice ${index + 1}/${total}, creation_time ${range})`;
}

/** A slice should hold about this many pages: fewer wastes probes on small fleets, more balances worse. */
export const PAGES_PER_SLICE = 4;

/**
 * How many slices to walk, from the two probe pages: the first page ascending (lowest
 * creation_time first) and the first page descending. Their density estimates the middle.
 */
export function sliceCount(probe: {
  ascending: readonly number[];
  descending: readonly number[];
  pageSize: number;
  maxSlices: number;
}): number {
  const { ascending, descending, pageSize, maxSlices } = probe;
  if (maxSlices <= 1 || ascending.length === 0 || descending.length === 0) return 1;
  const min = ascending[0]!;
  const lowEdge = ascending[ascending.length - 1]!;
  const max = descending[0]!;
  const highEdge = descending[descending.length - 1]!;
  const probed = ascending.length + descending.length;
  const probedSeconds = lowEdge - min + 1 + (max - highEdge + 1);
  const middle = Math.max(0, highEdge - lowEdge - 1);
  const estimated = probed + (probed / probedSeconds) * middle;
  const pages = Math.ceil(estimated / pageSize);
  return Math.max(1, Math.min(maxSlices, Math.floor(pages / PAGES_PER_SLICE)));
}
