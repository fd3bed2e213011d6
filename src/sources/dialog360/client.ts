/**
 * 360dialog Partner API v2 client: the partner key (X-API-Key), the error statuses, and reading a
 * whole list by offset paging, each sweep checked (paging.ts) and read again, a bounded number of
 * times, when the list changed under it, its pages handed on as they arrive. Sorted on
 * `created_at` first and `id` last (the default), a list is read newest first, one page at a time
 * and one page per `limit` rows; sorted otherwise, by overlapping pages, the rest fetched with
 * bounded concurrency once the first page gave the total.
 *
 * The total is the upstream's word, so it is checked before a page is planned from it: a total
 * above DIALOG360_MAX_ROWS, or one that at the server's page size would take more pages than
 * DIALOG360_MAX_ROWS takes at DIALOG360_PAGE_SIZE, fails the pull at once (LIMIT); a first page
 * that contradicts its own total and limit (3 rows of a page of 10, total 20,000) ends its sweep
 * there, so such a list costs one request per sweep and fails as INCONSISTENT. Offsets are computed as the pages are requested, never allocated per announced row, and
 * a sweep stops at the first page that shows it can't add up (an empty or short page mid-list, a
 * changed total) instead of reading the rest of a list that will be read again anyway.
 */
import { PayloadError, RETRY_POLICY, UpstreamError, codeForHttpStatus } from '../../errors.js';
import { stripControlChars } from '../../render/plain-text.js';
import { SecretScrubber } from '../../secrets.js';
import type { PreparedEntity } from '../../sync/types.js';
import { forEachConcurrent } from '../concurrency.js';
import { HttpClient } from '../http.js';
import { type PageReader, inlinePages } from '../page-tasks.js';
import { preparedEntities } from '../prepared.js';
import { parseJsonOrNull } from '../validation.js';
import type { Dialog360Config } from './config.js';
import { type Dialog360List, SOURCE } from './page.js';
import {
  NewestFirstChecker,
  type SweepPage,
  SweepChecker,
  newestFirstPageCount,
  newestFirstSteps,
  pageContradiction,
  pageCount,
  pageOffset,
} from './paging.js';

export { SOURCE };

/** The 360dialog settings section, and the HTTP settings the client needs. */
export interface Dialog360ClientOptions extends Dialog360Config {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryBaseMs?: number;
  /** The largest response body read (HTTP_MAX_RESPONSE_BYTES; default in http.ts). */
  readonly maxResponseBytes?: number;
  /** Where each page's text is read into rows (the App's page thread); on this thread when omitted. */
  readonly pages?: PageReader;
}

/** A row of a list: its record prepared for staging (page.ts), with what paging checks. */
export interface Dialog360Row extends PreparedEntity {
  readonly id: string;
  readonly createdAt: string | null;
}

export interface CallHooks {
  readonly signal: AbortSignal;
  readonly onAttempt?: (call: string) => void;
  readonly onRetry?: (call: string) => void;
  readonly progress?: (message: string) => void;
}

/** Where the rows of a sweep go as its pages arrive. */
export interface ListSink {
  /** Rows of the sweep under way, each at most once per sweep. */
  rows(rows: Dialog360Row[]): Promise<void>;
  /** The sweep so far did not describe a single list: forget every row handed over; a new sweep starts. */
  restart(): Promise<void>;
}

/** One list of the partner: where it lives, and which list its pages are read as (page.ts). */
export interface ListSpec {
  /** Names the call in errors and counts. */
  readonly call: string;
  /** Below /partners/{partner_id}/. */
  readonly path: string;
  readonly list: Dialog360List;
}

const createdAt = (row: Dialog360Row) => row.createdAt;

export class Dialog360Client {
  private readonly http: HttpClient;
  private readonly scrubber: SecretScrubber;
  private readonly pages: PageReader;

  constructor(private readonly options: Dialog360ClientOptions) {
    this.scrubber = new SecretScrubber([options.apiKey]);
    this.pages = options.pages ?? inlinePages;
    this.http = new HttpClient({
      source: SOURCE,
      baseUrl: options.apiUrl,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      retryBaseMs: options.retryBaseMs,
      maxResponseBytes: options.maxResponseBytes,
      headers: { 'x-api-key': options.apiKey },
    });
  }

  /**
   * Every row of one list, as one consistent sweep, handed to `sink` page by page as the pages
   * arrive, so the list is never held whole. Only when the last page is in is the sweep known to
   * be consistent: when it is not, the sink is told to throw away what it was given and the list
   * is read again. Resolves to the number of rows of the consistent sweep.
   */
  async readList(list: ListSpec, hooks: CallHooks, sink: ListSink, options: { readonly concurrency?: number } = {}): Promise<number> {
    const reasons: string[] = [];
    let newestFirst = this.newestFirst();
    for (let sweep = 1; sweep <= this.options.sweepAttempts; ) {
      const verdict = newestFirst
        ? await this.newestFirstSweep(list, hooks, sweep, sink)
        : await this.sweep(list, hooks, sweep, sink, options.concurrency ?? this.options.concurrency);
      if (verdict.ok) return verdict.rows;
      await sink.restart();
      if ('unordered' in verdict && verdict.unordered) {
        // Newest first rests on the created_at order; a list that shows none is read by
        // overlapping pages instead, which need no order but a total one — not counted as a sweep.
        newestFirst = false;
        hooks.progress?.(`${list.path}: not in created_at order (${verdict.reason}); reading it with overlapping pages`);
        continue;
      }
      reasons.push(`sweep ${sweep}: ${verdict.reason}`);
      hooks.progress?.(`${list.path}: the list changed while it was read (${verdict.reason}); reading it again`);
      sweep += 1;
    }
    throw new UpstreamError(
      'INCONSISTENT',
      SOURCE,
      list.call,
      `the list kept changing while it was read, ${this.options.sweepAttempts} sweeps (DIALOG360_SWEEP_ATTEMPTS): ${reasons.join('; ')}`,
    );
  }

  /**
   * Whether `list` is read newest first: sorted on `created_at` ascending first and on `id` last
   * (an order without ties, which the reversed sort mirrors exactly).
   */
  newestFirst(): boolean {
    const { sort } = this.options;
    return sort.length >= 2 && sort[0] === 'created_at' && sort.at(-1)!.replace(/^-/, '') === 'id';
  }

  /**
   * One newest-first sweep (paging.ts): the newest page by the reversed sort, then the pages
   * below it one at a time, each asked for as soon as the one above it has arrived — before that
   * one's rows are checked and staged, so handling a page overlaps the next round trip, but never
   * earlier: the upstream must read each page after the page above it.
   */
  private async newestFirstSweep(list: ListSpec, hooks: CallHooks, sweep: number, sink: ListSink) {
    const reversed = this.options.sort.map((field) => (field.startsWith('-') ? field.slice(1) : `-${field}`));
    const newest = await this.page(list, 0, this.options.pageSize, hooks, undefined, reversed);
    const limit = newest.limit !== undefined && newest.limit < this.options.pageSize ? newest.limit : this.options.pageSize;
    if (limit < 1) throw new PayloadError(SOURCE, list.call, `field limit: the server pages by ${limit}`);
    const total = newest.total;
    const pages = this.plannedPages(list.call, total, limit, newestFirstPageCount);
    const checker = new NewestFirstChecker<Dialog360Row>(total, createdAt);
    const first = checker.check(newest, Math.min(limit, total), true);
    if (first !== null) return { ok: false as const, reason: `first page: ${first}`, unordered: checker.unordered };
    let done = 1;
    const report = () => hooks.progress?.(`${list.path}: sweep ${sweep}, page ${done} of ${pages} (${total} rows, newest first)`);
    const steps = newestFirstSteps(total, limit);
    // A sweep stopped early cancels the page asked for ahead and waits for it to settle: nothing outlives the sweep.
    const stop = new AbortController();
    const pageHooks = { ...hooks, signal: AbortSignal.any([hooks.signal, stop.signal]) };
    const ask = () => {
      const step = steps.next();
      if (step.done) return null;
      const request = this.page(list, step.value.offset, step.value.limit, pageHooks);
      request.catch(() => {});
      return { step: step.value, request };
    };
    let next = ask();
    try {
      await sink.rows(checker.add(newest, true));
      report();
      while (next !== null) {
        const { step, request } = next;
        const page = await request;
        next = ask();
        const reason = checker.check(page, step.limit, false);
        if (reason !== null) return { ok: false as const, reason, unordered: checker.unordered };
        await sink.rows(checker.add(page, false));
        done += 1;
        report();
      }
      const unfinished = checker.finish();
      return unfinished === null ? { ok: true as const, rows: checker.rows } : { ok: false as const, reason: unfinished, unordered: checker.unordered };
    } finally {
      stop.abort();
      await next?.request.catch(() => {});
    }
  }

  private async sweep(list: ListSpec, hooks: CallHooks, sweep: number, sink: ListSink, concurrency: number) {
    const first = await this.page(list, 0, this.options.pageSize, hooks);
    // A server may cap the page size below what we asked: page with what it says it used.
    const limit = first.limit !== undefined && first.limit < this.options.pageSize ? first.limit : this.options.pageSize;
    if (limit < 2) throw new PayloadError(SOURCE, list.call, `field limit: the server pages by ${limit}, too few to page with overlap`);
    // A first page that contradicts its own total (3 rows of a page of 10, total 20,000) is read
    // again like any inconsistent sweep: one request per sweep, nothing staged.
    const contradiction = pageContradiction({ offset: 0, total: first.total, rows: first.items.length }, first.total, limit);
    const pages = this.plannedPages(list.call, first.total, limit);
    if (contradiction !== null) return { ok: false as const, reason: `first page: ${contradiction}` };
    const checker = new SweepChecker<Dialog360Row>(limit);
    await sink.rows(checker.add(first));
    let done = 1;
    const report = () => hooks.progress?.(`${list.path}: sweep ${sweep}, page ${done} of ${pages} (${first.total} rows)`);
    report();
    let stopped: string | null = null;
    try {
      await forEachConcurrent(pages - 1, concurrency, hooks.signal, async (index, signal) => {
        const page = await this.page(list, pageOffset(index + 1, limit), limit, { ...hooks, signal });
        const contradiction = pageContradiction({ offset: page.offset, total: page.total, rows: page.items.length }, first.total, limit);
        if (contradiction !== null) throw new SweepStopped(contradiction);
        await sink.rows(checker.add(page));
        done += 1;
        report();
      });
    } catch (error) {
      if (!(error instanceof SweepStopped)) throw error;
      stopped = error.reason;
    }
    // The sweep will be read again (or the pull fail): the pages still unread would change nothing.
    return stopped === null ? checker.verdict() : { ok: false as const, reason: stopped };
  }

  /**
   * The rows of a list matching `filters` (equality, e.g. `{"id": …}`), for a targeted read: one
   * page is enough for an id; more rows than a page fails rather than guessing.
   */
  async find(list: ListSpec, filters: Readonly<Record<string, string>>, hooks: CallHooks): Promise<readonly Dialog360Row[]> {
    const page = await this.page(list, 0, this.options.pageSize, hooks, filters);
    if (page.total > page.items.length) throw new PayloadError(SOURCE, list.call, `filters ${JSON.stringify(filters)}: ${page.total} rows, more than one page`);
    return page.items;
  }

  /**
   * How many pages a sweep of `total` rows takes, once the total is believable: within
   * DIALOG360_MAX_ROWS, in rows and in the pages those rows take at DIALOG360_PAGE_SIZE (a server
   * may announce a smaller page size than asked).
   */
  private plannedPages(call: string, total: number, limit: number, count: (total: number, limit: number) => number = pageCount): number {
    const { maxRows, pageSize } = this.options;
    if (total > maxRows) {
      throw new UpstreamError(
        'LIMIT',
        SOURCE,
        call,
        `total says ${total} rows, more than DIALOG360_MAX_ROWS (${maxRows}); not paging through it (raise DIALOG360_MAX_ROWS if the list really is this long)`,
      );
    }
    const pages = count(total, limit);
    const most = count(maxRows, pageSize);
    if (pages > most) {
      throw new UpstreamError(
        'LIMIT',
        SOURCE,
        call,
        `${total} rows at the server's page size of ${limit} take ${pages} pages, more than the ${most} that DIALOG360_MAX_ROWS (${maxRows}) takes at DIALOG360_PAGE_SIZE (${pageSize}); not paging through it`,
      );
    }
    return pages;
  }

  /** One page: the envelope checked, every row validated and prepared (page.ts, on the page reader). */
  private async page(
    list: ListSpec,
    offset: number,
    limit: number,
    hooks: CallHooks,
    filters?: Readonly<Record<string, string>>,
    sort: readonly string[] = this.options.sort,
  ): Promise<SweepPage<Dialog360Row> & { limit: number | undefined }> {
    const searchParams = new URLSearchParams({ limit: String(limit), offset: String(offset) });
    for (const field of sort) searchParams.append('sort', field);
    if (filters) searchParams.set('filters', JSON.stringify(filters));
    const response = await this.http.requestText({
      call: list.call,
      path: `partners/${encodeURIComponent(this.options.partnerId)}/${list.path}`,
      searchParams,
      signal: hooks.signal,
      onAttempt: hooks.onAttempt,
      onRetry: hooks.onRetry,
      // A 4xx that no retry can help (not throttling, not a timeout): read here, to say which setting to check.
      acceptStatus: (status) => status >= 400 && status < 500 && RETRY_POLICY[codeForHttpStatus(status)] === 'never',
    });
    if (response.status >= 400) throw this.statusError(list.call, response.status, upstreamDetail(parseJsonOrNull(response.text), this.scrubber));
    const page = await this.pages.read('dialog360.page', response.text, { list: list.list, call: list.call, offset, status: response.status });
    const items = preparedEntities(page.rows).map((row, index): Dialog360Row => ({ ...row, id: row.key, createdAt: page.createdAt[index]! }));
    return { offset, total: page.total, items, limit: page.limit };
  }

  /** `detail`: the upstream's own words (see upstreamDetail), or ''. */
  private statusError(call: string, status: number, detail: string): UpstreamError {
    const partner = JSON.stringify(this.options.partnerId);
    switch (status) {
      case 401:
        return new UpstreamError('AUTH', SOURCE, call, 'the partner API key was rejected (HTTP 401): check DIALOG360_API_KEY');
      case 403:
        return new UpstreamError('PERMISSION', SOURCE, call, `the partner API key may not read partner ${partner} (HTTP 403): check DIALOG360_API_KEY and DIALOG360_PARTNER_ID`);
      case 404:
        return new UpstreamError('UPSTREAM', SOURCE, call, `partner ${partner} not found (HTTP 404): check DIALOG360_PARTNER_ID and DIALOG360_API_URL`);
      case 400:
        return new UpstreamError('UPSTREAM', SOURCE, call, `request refused as wrong payload (HTTP 400${detail}): check DIALOG360_SORT and DIALOG360_PAGE_SIZE`);
      default:
        return new UpstreamError('UPSTREAM', SOURCE, call, `HTTP ${status}${detail}`);
    }
  }
}

/** Thrown inside a sweep to stop it at a page that proves it inconsistent; never leaves the client. */
class SweepStopped extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * The upstream's own words about a refused request, short and on one line; the partner key cut
 * out before shortening (a key cut in two would no longer be recognised downstream).
 */
function upstreamDetail(body: unknown, scrubber: SecretScrubber): string {
  if (!body || typeof body !== 'object') return '';
  const record = body as Record<string, unknown>;
  const detail = [record.detail, record.message, record.error].find((value) => typeof value === 'string');
  if (typeof detail !== 'string') return '';
  const line = stripControlChars(scrubber.scrub(detail)).replace(/ +/g, ' ').trim();
  return line ? `: ${line.length > 160 ? `${line.slice(0, 157)}...` : line}` : '';
}
