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
 *
 * `total` comes from the upstream, so nothing here allocates per announced row or page: the
 * offsets are computed as needed (`pageCount`, `pageOffset`), and a page that already shows the
 * sweep can't add up (`pageContradiction`) lets the caller stop the sweep there.
 */

export interface SweepPage<T extends { id: string }> {
  readonly offset: number;
  readonly total: number;
  readonly items: readonly T[];
}

export type SweepCheck<T> = { readonly ok: true; readonly items: T[] } | { readonly ok: false; readonly reason: string };

/** Pages of one sweep of `total` rows read `limit` at a time, each starting on the last row of the one before. */
export function pageCount(total: number, limit: number): number {
  if (limit < 2) throw new RangeError('overlapping pages need a limit of 2 or more');
  return total <= limit ? 1 : 1 + Math.ceil((total - limit) / (limit - 1));
}

/** Where page `index` (from 0) of a sweep starts. */
export function pageOffset(index: number, limit: number): number {
  return index * (limit - 1);
}

/** Every offset of one sweep, materialised: only for a `total` already known to be small. */
export function pageOffsets(total: number, limit: number): number[] {
  return Array.from({ length: pageCount(total, limit) }, (_, index) => pageOffset(index, limit));
}

/**
 * Why one page, on its own, proves a sweep of `total` rows can't be consistent — its total is
 * another, or it is not as full as its place in the sweep requires (an empty page mid-list) —
 * or null. Such a sweep need not be read to its end.
 */
export function pageContradiction(page: { offset: number; total: number; rows: number }, total: number, limit: number): string | null {
  if (page.total !== total) return `total changed from ${total} to ${page.total} (page at offset ${page.offset})`;
  const expected = Math.min(limit, total - page.offset);
  if (page.rows !== expected) return `page at offset ${page.offset} has ${page.rows} rows, expected ${expected} of ${total}`;
  return null;
}

/**
 * Checks one sweep page by page as the pages arrive, in any order, so their rows can be staged
 * at once instead of the whole sweep being held until it is proved consistent: `add` returns the
 * rows a page adds (all but the row it shares with the page before it, and none seen already) and
 * keeps only what the verdict needs — each page's offset, total, size and first and last id, and
 * the ids seen. `verdict` then applies every rule of the module comment. A sweep that fails it must
 * be thrown away whole (its rows were staged) and read again.
 */
export class SweepChecker<T extends { id: string }> {
  private readonly pages: { offset: number; total: number; rows: number; first: string | undefined; last: string | undefined }[] = [];
  private readonly seen = new Set<string>();
  /** The first id met twice, and the page where. */
  private repeated: { id: string; offset: number } | null = null;

  constructor(private readonly limit: number) {}

  add(page: SweepPage<T>): T[] {
    this.pages.push({ offset: page.offset, total: page.total, rows: page.items.length, first: page.items[0]?.id, last: page.items.at(-1)?.id });
    // A page after the first starts with the last row of the one before (verdict checks it).
    const rows = page.offset > 0 ? page.items.slice(1) : page.items;
    const fresh: T[] = [];
    for (const item of rows) {
      if (this.seen.has(item.id)) {
        this.repeated ??= { id: item.id, offset: page.offset };
        continue;
      }
      this.seen.add(item.id);
      fresh.push(item);
    }
    return fresh;
  }

  /** The number of distinct rows when the pages describe a single list, or why not. */
  verdict(): { readonly ok: true; readonly rows: number } | { readonly ok: false; readonly reason: string } {
    const pages = [...this.pages].sort((a, b) => a.offset - b.offset);
    const first = pages[0];
    if (!first) return { ok: false, reason: 'no page was read' };
    const total = first.total;
    const changed = pages.find((page) => page.total !== total);
    if (changed) return { ok: false, reason: `total changed from ${total} to ${changed.total} (page at offset ${changed.offset})` };

    const count = pageCount(total, this.limit);
    if (pages.length !== count || pages.some((page, i) => page.offset !== pageOffset(i, this.limit))) {
      const expected = count <= 20 ? pageOffsets(total, this.limit).join(',') : `${count} pages, every ${this.limit - 1} rows`;
      return { ok: false, reason: `read offsets ${pages.map((p) => p.offset).join(',')}, expected ${expected}` };
    }
    for (const [index, page] of pages.entries()) {
      const contradiction = pageContradiction(page, total, this.limit);
      if (contradiction) return { ok: false, reason: contradiction };
      if (index > 0) {
        const shared = pages[index - 1]!.last!;
        if (page.first !== shared) {
          return { ok: false, reason: `page at offset ${page.offset} starts with ${JSON.stringify(page.first)}, not with ${JSON.stringify(shared)} which ended the page before: rows moved` };
        }
      }
      if (this.repeated?.offset === page.offset) return { ok: false, reason: `${JSON.stringify(this.repeated.id)} appears twice (page at offset ${page.offset})` };
    }
    if (this.repeated) return { ok: false, reason: `${JSON.stringify(this.repeated.id)} appears twice (page at offset ${this.repeated.offset})` };
    if (this.seen.size !== total) return { ok: false, reason: `read ${this.seen.size} distinct rows, total says ${total}` };
    return { ok: true, rows: this.seen.size };
  }
}

/** The rows of one sweep in list order, or why the pages don't describe a single list (all pages at once). */
export function checkSweep<T extends { id: string }>(pages: readonly SweepPage<T>[], limit: number): SweepCheck<T> {
  const checker = new SweepChecker<T>(limit);
  const items = [...pages].sort((a, b) => a.offset - b.offset).flatMap((page) => checker.add(page));
  const verdict = checker.verdict();
  return verdict.ok ? { ok: true, items } : verdict;
}

/*
 * The newest-first sweep — what a sort on `created_at` first and `id` last (the default) allows,
 * at one page per `limit` rows, without the overlap.
 *
 * A row is only ever added where its `created_at` sorts it: after every row that existed before
 * it (the upstream stamps `created_at` when it creates the row and never changes it). Counted
 * from the oldest row, then, a creation moves no row at all, and a removal moves only the rows
 * above it, each one place down. So the sweep reads from the top: the newest `limit` rows first
 * (the sort reversed, offset 0, which also gives `total`; `id` last leaves no ties, so the
 * reversed sort is the sort read backwards), then, one page at a time, the page just below the one
 * read before — each asked for only once the one above has arrived, so the upstream reads every
 * page after the page above it. Between two such reads a removal below their boundary moves the
 * boundary row down into the page still to read (read twice, harmless); a removal above it or a
 * creation at the top moves nothing below it. Hence every row that existed throughout the sweep
 * was read; a row removed during it may still be read (and be reported removed one pull late), a
 * row created during it is read in the next pull.
 *
 * What the proof rests on is checked where it can be: every page as full as planned (a list that
 * lost more than a page of rows under the sweep is read again); `total` never above the first
 * page's (a creation during the sweep: harmless at the top, but a row stamped with an older
 * `created_at` would land lower and push a row up past a page already read — so any creation
 * means reading the list again); `created_at` in order over the whole sweep, pages and their
 * boundaries (an upstream that ignored the sort would void it); and no row read twice while
 * `total` stayed level (a creation that cancelled a removal out, or a reversed sort that is not
 * the sort read backwards). A list failing the last two is read with overlapping pages instead.
 * Beyond the checks: a back-dated creation hidden by removals in the same sweep (docs/sources.md).
 */

/**
 * An ISO 8601 time as epoch ms, NaN when it is none. A date and time without a zone is taken as
 * UTC, not as the machine's local time (where a daylight-saving change would reorder it).
 */
export function parseTime(text: string): number {
  return Date.parse(/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text);
}

/** Pages of a newest-first sweep of `total` rows by `limit`: no overlap. */
export function newestFirstPageCount(total: number, limit: number): number {
  return Math.max(1, Math.ceil(total / limit));
}

/** One page below the newest: where it starts counted from the oldest row, and how many rows it asks for. */
export interface NewestFirstStep {
  readonly offset: number;
  readonly limit: number;
}

/**
 * The pages after the newest `limit` rows of a `total`-row list, top down, each ending where the
 * one before began; the last one starts at 0 and asks only for what is left.
 */
export function* newestFirstSteps(total: number, limit: number): Generator<NewestFirstStep> {
  for (let end = total - limit; end > 0; end -= limit) yield { offset: Math.max(0, end - limit), limit: Math.min(limit, end) };
}

/**
 * Checks a newest-first sweep page by page, in the order read (the newest page first): `check`
 * says why a page voids the sweep (the caller stops there), `add` returns the rows it adds — none
 * already seen, since a removal during the sweep can make a row appear twice.
 */
export class NewestFirstChecker<T extends { id: string }> {
  private readonly seen = new Set<string>();
  /** The oldest `created_at` read so far (the first row of the page read last), as epoch ms. */
  private floor = Number.POSITIVE_INFINITY;
  private floorId: string | undefined;
  /** Whether every page so far said the first page's total. */
  private level = true;
  /** Rows met a second time. */
  private repeats = 0;

  constructor(
    private readonly total: number,
    private readonly createdAt: (row: T) => string | null,
  ) {}

  /**
   * Set when a page showed the list is not in `created_at` order (a row without a time, or rows
   * out of order): the newest-first proof does not hold for it, and it must be read another way.
   */
  unordered = false;

  /** Why this page voids the sweep, or null. `newest`: the first page, in the reversed order. */
  check(page: SweepPage<T>, expectedRows: number, newest: boolean): string | null {
    if (page.total > this.total) return `total rose from ${this.total} to ${page.total} (page at offset ${page.offset}): a row was created while the list was read`;
    if (page.items.length !== expectedRows) return `page at offset ${page.offset} has ${page.items.length} rows, expected ${expectedRows} of ${this.total}`;
    // Oldest first, whichever way the page came.
    const rows = newest ? [...page.items].reverse() : page.items;
    let previous = Number.NEGATIVE_INFINITY;
    let previousId: string | undefined;
    let newestFresh = Number.NEGATIVE_INFINITY;
    let newestFreshId: string | undefined;
    for (const row of rows) {
      const createdAt = this.createdAt(row);
      const at = createdAt === null ? Number.NaN : parseTime(createdAt);
      if (Number.isNaN(at)) return this.disorder(`${JSON.stringify(row.id)} has created_at ${JSON.stringify(createdAt)}, not a time: the order can't be checked`);
      if (at < previous) return this.disorder(`${JSON.stringify(row.id)} is older than ${JSON.stringify(previousId)} before it (page at offset ${page.offset}): not sorted by created_at`);
      previous = at;
      previousId = row.id;
      // Rows read already came down from the page above (removals below it): only the others
      // must be older than that page.
      if (!this.seen.has(row.id)) {
        newestFresh = at;
        newestFreshId = row.id;
      }
    }
    if (newestFresh > this.floor) {
      // A row created at the top can sink this low only when more rows than were created went
      // below it; whichever it was, overlapping pages assume nothing about either.
      return this.disorder(
        `page at offset ${page.offset} has ${JSON.stringify(newestFreshId)}, newer than ${JSON.stringify(this.floorId)} on the page above it: created while the list was read, or not sorted by created_at`,
      );
    }
    return null;
  }

  /**
   * Once every page passed `check`: why the rows read can't be trusted to be the whole list, or
   * null. A row reads twice when a removal below a page boundary brings it down, and a removal
   * lowers `total`; with `total` the same on every page, a row read twice means a creation that
   * cancelled the removal out, or an upstream whose reversed sort is not its sort read backwards
   * (ties broken two ways: pages that tile the list and repeat a row miss another). Either way the
   * list is read by overlapping pages, which assume neither.
   */
  finish(): string | null {
    if (this.level && this.repeats > 0) {
      return this.disorder(`${this.repeats} rows read twice while total stayed ${this.total}: rows moved, or the reversed sort is not the sort read backwards`);
    }
    return null;
  }

  private disorder(reason: string): string {
    this.unordered = true;
    return reason;
  }

  /** The page's rows not read before; call after `check` passed. */
  add(page: SweepPage<T>, newest: boolean): T[] {
    if (page.total !== this.total) this.level = false;
    const oldest = newest ? page.items.at(-1) : page.items[0];
    if (oldest) {
      this.floor = parseTime(this.createdAt(oldest) ?? '');
      this.floorId = oldest.id;
    }
    const fresh: T[] = [];
    for (const item of page.items) {
      if (this.seen.has(item.id)) {
        this.repeats += 1;
        continue;
      }
      this.seen.add(item.id);
      fresh.push(item);
    }
    return fresh;
  }

  get rows(): number {
    return this.seen.size;
  }
}
