/**
 * 360dialog Partner API v2 client: the partner key (X-API-Key), the error statuses, and reading a
 * whole list by offset paging — overlapping pages, the rest fetched with bounded concurrency once
 * the first page gave the total, handed on page by page, each sweep checked (paging.ts) and read
 * again, a bounded number of times, when the list changed under it.
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
import { forEachConcurrent } from '../concurrency.js';
import { HttpClient } from '../http.js';
import { formatIssue } from '../validation.js';
import type { Dialog360Config } from './config.js';
import { type SweepPage, SweepChecker, pageContradiction, pageCount, pageOffset } from './paging.js';
import { pageEnvelope } from './schemas.js';

export const SOURCE = 'dialog360';

/** The 360dialog settings section, and the HTTP settings the client needs. */
export interface Dialog360ClientOptions extends Dialog360Config {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryBaseMs?: number;
  /** The largest response body read (HTTP_MAX_RESPONSE_BYTES; default in http.ts). */
  readonly maxResponseBytes?: number;
}

export interface CallHooks {
  readonly signal: AbortSignal;
  readonly onAttempt?: (call: string) => void;
  readonly onRetry?: (call: string) => void;
  readonly progress?: (message: string) => void;
}

/** Where the rows of a sweep go as its pages arrive. */
export interface ListSink<T> {
  /** Rows of the sweep under way, each at most once per sweep. */
  rows(rows: T[]): Promise<void>;
  /** The sweep so far did not describe a single list: forget every row handed over; a new sweep starts. */
  restart(): Promise<void>;
}

/** One list of the partner: where it lives, where its rows are in the envelope, how to read a row. */
export interface ListSpec<T extends { id: string }> {
  /** Names the call in errors and counts. */
  readonly call: string;
  /** Below /partners/{partner_id}/. */
  readonly path: string;
  /** The envelope field holding the rows. */
  readonly field: string;
  readonly parse: (value: unknown, where: { list: string; index: number; keyField: string }) => { ok: true; value: T } | { ok: false; message: string };
}

export class Dialog360Client {
  private readonly http: HttpClient;
  private readonly scrubber: SecretScrubber;

  constructor(private readonly options: Dialog360ClientOptions) {
    this.scrubber = new SecretScrubber([options.apiKey]);
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
  async readList<T extends { id: string }>(list: ListSpec<T>, hooks: CallHooks, sink: ListSink<T>): Promise<number> {
    const reasons: string[] = [];
    for (let sweep = 1; sweep <= this.options.sweepAttempts; sweep++) {
      if (sweep > 1) await sink.restart();
      const verdict = await this.sweep(list, hooks, sweep, sink);
      if (verdict.ok) return verdict.rows;
      reasons.push(`sweep ${sweep}: ${verdict.reason}`);
      hooks.progress?.(`${list.path}: the list changed while it was read (${verdict.reason}); reading it again`);
    }
    throw new UpstreamError(
      'INCONSISTENT',
      SOURCE,
      list.call,
      `the list kept changing while it was read, ${this.options.sweepAttempts} sweeps (DIALOG360_SWEEP_ATTEMPTS): ${reasons.join('; ')}`,
    );
  }

  private async sweep<T extends { id: string }>(list: ListSpec<T>, hooks: CallHooks, sweep: number, sink: ListSink<T>) {
    const first = await this.page(list, 0, this.options.pageSize, hooks);
    // A server may cap the page size below what we asked: page with what it says it used.
    const limit = first.limit !== undefined && first.limit < this.options.pageSize ? first.limit : this.options.pageSize;
    if (limit < 2) throw new PayloadError(SOURCE, list.call, `field limit: the server pages by ${limit}, too few to page with overlap`);
    // A first page that contradicts its own total (3 rows of a page of 10, total 20,000) is read
    // again like any inconsistent sweep: one request per sweep, nothing staged.
    const contradiction = pageContradiction({ offset: 0, total: first.total, rows: first.items.length }, first.total, limit);
    const pages = this.plannedPages(list.call, first.total, limit);
    if (contradiction !== null) return { ok: false as const, reason: `first page: ${contradiction}` };
    const checker = new SweepChecker<T>(limit);
    await sink.rows(checker.add(first));
    let done = 1;
    const report = () => hooks.progress?.(`${list.path}: sweep ${sweep}, page ${done} of ${pages} (${first.total} rows)`);
    report();
    let stopped: string | null = null;
    try {
      await forEachConcurrent(pages - 1, this.options.concurrency, hooks.signal, async (index, signal) => {
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
  async find<T extends { id: string }>(list: ListSpec<T>, filters: Readonly<Record<string, string>>, hooks: CallHooks): Promise<readonly T[]> {
    const page = await this.page(list, 0, this.options.pageSize, hooks, filters);
    if (page.total > page.items.length) throw new PayloadError(SOURCE, list.call, `filters ${JSON.stringify(filters)}: ${page.total} rows, more than one page`);
    return page.items;
  }

  /**
   * How many pages a sweep of `total` rows takes, once the total is believable: within
   * DIALOG360_MAX_ROWS, in rows and in the pages those rows take at DIALOG360_PAGE_SIZE (a server
   * may announce a smaller page size than asked).
   */
  private plannedPages(call: string, total: number, limit: number): number {
    const { maxRows, pageSize } = this.options;
    if (total > maxRows) {
      throw new UpstreamError(
        'LIMIT',
        SOURCE,
        call,
        `total says ${total} rows, more than DIALOG360_MAX_ROWS (${maxRows}); not paging through it (raise DIALOG360_MAX_ROWS if the list really is this long)`,
      );
    }
    const pages = pageCount(total, limit);
    const most = pageCount(maxRows, pageSize);
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

  /** One page: the envelope checked, every row validated. */
  private async page<T extends { id: string }>(
    list: ListSpec<T>,
    offset: number,
    limit: number,
    hooks: CallHooks,
    filters?: Readonly<Record<string, string>>,
  ): Promise<SweepPage<T> & { limit: number | undefined }> {
    const searchParams = new URLSearchParams({ limit: String(limit), offset: String(offset) });
    for (const field of this.options.sort) searchParams.append('sort', field);
    if (filters) searchParams.set('filters', JSON.stringify(filters));
    const response = await this.http.request({
      call: list.call,
      path: `partners/${encodeURIComponent(this.options.partnerId)}/${list.path}`,
      searchParams,
      signal: hooks.signal,
      onAttempt: hooks.onAttempt,
      onRetry: hooks.onRetry,
      // A 4xx that no retry can help (not throttling, not a timeout): read here, to say which setting to check.
      acceptStatus: (status) => status >= 400 && status < 500 && RETRY_POLICY[codeForHttpStatus(status)] === 'never',
    });
    if (response.status >= 400) throw this.statusError(list.call, response.status, upstreamDetail(response.body, this.scrubber));

    const body = response.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new PayloadError(SOURCE, list.call, `response is not a JSON object (offset ${offset})`);
    const envelope = pageEnvelope.safeParse(body);
    if (!envelope.success) throw new PayloadError(SOURCE, list.call, `${formatIssue(envelope.error.issues[0])} (offset ${offset})`);
    const rows = (body as Record<string, unknown>)[list.field];
    if (!Array.isArray(rows)) {
      throw new PayloadError(SOURCE, list.call, `field ${list.field}: ${rows === undefined ? 'missing' : 'expected an array'} (offset ${offset})`);
    }
    const { total, count, offset: echoedOffset } = envelope.data;
    if (count !== undefined && count !== rows.length) {
      throw new PayloadError(SOURCE, list.call, `field count: ${count}, but ${list.field} has ${rows.length} rows (offset ${offset})`);
    }
    if (echoedOffset !== undefined && echoedOffset !== offset) {
      throw new PayloadError(SOURCE, list.call, `field offset: asked for ${offset}, answered ${echoedOffset}`);
    }
    const items = rows.map((row, index) => {
      const parsed = list.parse(row, { list: list.field, index: offset + index, keyField: 'id' });
      if (!parsed.ok) throw new PayloadError(SOURCE, list.call, parsed.message);
      return parsed.value;
    });
    return { offset, total, items, limit: envelope.data.limit };
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
