/**
 * Pure: how to page a 360dialog list and whether one sweep of pages describes a single list.
 *
 * The Partner API pages by offset, with no cursor: a channel created or removed while a sweep is
 * under way shifts every row after it, so a page read later can repeat a row or skip one. A
 * skipped row would look removed — a false `channel.removed`. Counting is not enough to notice:
 * one channel removed from an early page and one created at the end leave `total` unchanged and
 * the rows read add up to it, while a row that slid back across a page boundary was never seen.
 *
 * So consecutive pages overlap by one row (page k starts at k·(limit−1)), and a sweep counts only
 * if every page starts with the row the page before ended with. With a total order (the sort
 * fields end in a unique one, e.g. `created_at,id`) each page is a contiguous run of the list as it
 * was when that page was read; pages that share their boundary rows leave no gap between them, the
 * first page starts at the list's start and the last ends at its end. Hence every row that existed
 * throughout the sweep was read, and a row read but since removed (or created after its place was
 * read) only shows up one pull late — never as a false event. On top of that, as belt and braces
 * for an order that is not total after all: `total` must be the same on every page, a page must be
 * full unless it is the last, no row may appear twice other than a shared boundary row, and the
 * rows read must add up to `total`. Anything else → read the list again.
 */

export interface SweepPage<T extends { id: string }> {
  readonly offset: number;
  readonly total: number;
  readonly items: readonly T[];
}

export type SweepCheck<T> = { readonly ok: true; readonly items: T[] } | { readonly ok: false; readonly reason: string };

/** Offsets of one sweep of `total` rows: each page starts on the last row of the one before. */
export function pageOffsets(total: number, limit: number): number[] {
  if (limit < 2) throw new RangeError('overlapping pages need a limit of 2 or more');
  const offsets = [0];
  while (offsets.at(-1)! + limit < total) offsets.push(offsets.at(-1)! + limit - 1);
  return offsets;
}

/** The rows of one sweep in list order, or why the pages don't describe a single list. */
export function checkSweep<T extends { id: string }>(pages: readonly SweepPage<T>[], limit: number): SweepCheck<T> {
  const first = pages[0];
  if (!first) return { ok: false, reason: 'no page was read' };
  const total = first.total;
  const changed = pages.find((page) => page.total !== total);
  if (changed) return { ok: false, reason: `total changed from ${total} to ${changed.total} (page at offset ${changed.offset})` };

  const offsets = pageOffsets(total, limit);
  if (pages.length !== offsets.length || pages.some((page, i) => page.offset !== offsets[i])) {
    return { ok: false, reason: `read offsets ${pages.map((p) => p.offset).join(',')}, expected ${offsets.join(',')}` };
  }

  const items: T[] = [];
  const seen = new Set<string>();
  for (const [index, page] of pages.entries()) {
    const expected = Math.min(limit, total - page.offset);
    if (page.items.length !== expected) {
      return { ok: false, reason: `page at offset ${page.offset} has ${page.items.length} rows, expected ${expected} of ${total}` };
    }
    let rows = page.items;
    if (index > 0) {
      const shared = pages[index - 1]!.items.at(-1)!.id;
      if (rows[0]!.id !== shared) {
        return { ok: false, reason: `page at offset ${page.offset} starts with ${JSON.stringify(rows[0]!.id)}, not with ${JSON.stringify(shared)} which ended the page before: rows moved` };
      }
      rows = rows.slice(1);
    }
    for (const item of rows) {
      if (seen.has(item.id)) return { ok: false, reason: `${JSON.stringify(item.id)} appears twice (page at offset ${page.offset})` };
      seen.add(item.id);
      items.push(item);
    }
  }
  if (items.length !== total) return { ok: false, reason: `read ${items.length} distinct rows, total says ${total}` };
  return { ok: true, items };
}
