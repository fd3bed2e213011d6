/**
 * Graph API client: Bearer auth, the error envelope turned into typed errors, bounded retries for
 * 5xx/timeouts/throttling paced by Meta's usage headers, and cursor paging that follows
 * `paging.next` until it is absent — and fails instead when paging would never end: a `next` that
 * leads back to a page of the same chain (a cursor cycle), too many empty pages in a row, or more
 * pages than the listing's budget allows (page-budget.ts). Every failure names the source, the
 * call and the page. The token travels only in the Authorization header; it never appears in a
 * URL or a message.
 */
import { PayloadError, RETRY_POLICY, UpstreamError } from '../../errors.js';
import { SecretScrubber } from '../../secrets.js';
import { HttpClient, type RawResponse } from '../http.js';
import type { PageGuard } from '../page-budget.js';
import { type PageReader, inlinePages } from '../page-tasks.js';
import { formatIssue, parseJsonBody, parseJsonOrNull } from '../validation.js';
import { classifyFailure, readGraphError } from './graph-errors.js';
import { type MetaItems, type MetaPage, type MetaPageHead, SOURCE } from './page.js';
import { type DebugTokenPayload, type GraphErrorBody, debugToken } from './schemas.js';
import { Pacer, type Sleep, readUsage, realSleep } from './usage.js';

export { SOURCE };

export interface MetaClientOptions {
  readonly graphUrl: string;
  readonly apiVersion: string;
  readonly accessToken: string;
  readonly timeoutMs: number;
  /** Retries after the first attempt, for 5xx/timeouts and for throttling. */
  readonly retries: number;
  readonly retryBaseMs?: number;
  /** The largest response body read (HTTP_MAX_RESPONSE_BYTES; default in http.ts). */
  readonly maxResponseBytes?: number;
  readonly throttleMaxWaitSeconds: number;
  readonly slowdownPercent: number;
  /** Empty pages in a row, each with `paging.next`, before a chain fails (META_MAX_EMPTY_PAGES). */
  readonly maxEmptyPages: number;
  /** Injected so tests can see the waits without spending them. */
  readonly sleep?: Sleep;
  /** Where each list page's text is read into rows (the App's page thread); on this thread when omitted. */
  readonly pages?: PageReader;
}

export interface CallHooks {
  readonly signal?: AbortSignal;
  /** Each HTTP request, retries included. */
  readonly onAttempt?: (call: string) => void;
  /** Each request that repeats a failed one (5xx, timeout, throttling). */
  readonly onRetry?: (call: string) => void;
  /** Each usage percentage Meta reports in a response's headers (see `Usage.metrics`). */
  readonly onUsage?: (metric: string, percent: number) => void;
}

/** Names a chain in counts and errors, and says which listing's page budget it draws on. */
export interface ChainName {
  readonly call: string;
  /** What the chain's pages hold, so they are read into rows as they arrive (page.ts). */
  readonly items: MetaItems;
  /** E.g. the slice, or the WABA of a phone-number listing. */
  readonly label?: string;
  /** Asked before each page is requested; shared by every chain of one listing. */
  readonly guard?: PageGuard;
  /**
   * Ask for the next page before handing this one over, for a chain that is read to its end (a
   * consumer that stops after a page, like a probe, would have cost a call for nothing).
   */
  readonly readAhead?: boolean;
}

/** One listing: a call name for counts and errors, an optional label (e.g. the slice), a first request. */
export interface ListRequest extends ChainName {
  /** Below the version, e.g. "123/client_whatsapp_business_accounts". */
  readonly path: string;
  readonly params: Record<string, string>;
}

export interface ListPage {
  readonly page: number;
  /** Names the page in errors: call, label, page number. */
  readonly where: string;
  /** Whether `paging.next` says more pages follow (an empty page can still have more). */
  readonly hasNext: boolean;
  /** Its items, read as the chain's `items` said. */
  readonly content: MetaPage;
}

const MAX_BACKOFF_MS = 60_000;

export class MetaClient {
  private readonly http: HttpClient;
  private readonly pacer: Pacer;
  private readonly sleep: Sleep;
  private readonly root: URL;
  private readonly scrubber: SecretScrubber;
  private readonly reader: PageReader;

  constructor(private readonly options: MetaClientOptions) {
    this.reader = options.pages ?? inlinePages;
    this.sleep = options.sleep ?? realSleep;
    this.scrubber = new SecretScrubber([options.accessToken]);
    this.root = new URL(`${options.graphUrl.replace(/\/+$/, '')}/`);
    this.http = new HttpClient({
      source: SOURCE,
      baseUrl: options.graphUrl,
      timeoutMs: options.timeoutMs,
      retries: 0,
      maxResponseBytes: options.maxResponseBytes,
    });
    this.pacer = new Pacer({ thresholdPercent: options.slowdownPercent, sleep: this.sleep });
  }

  /**
   * The pages of one listing, in order: follows `paging.next` until it is absent (an empty page
   * with `next` is not the end). Cursors live only inside this walk.
   */
  pages(request: ListRequest, hooks: CallHooks): AsyncGenerator<ListPage> {
    return this.walk(request, `${this.options.apiVersion}/${request.path}`, request.params, 1, hooks);
  }

  /**
   * The rest of a listing whose first page came nested in another answer (field expansion):
   * follows its absolute `next` as page `page`, and on until `next` is absent. Parameters in
   * `defaults` are added where the URL lacks them (so a bare cursor URL still asks our fields).
   */
  continuePages(
    request: ChainName,
    next: string,
    page: number,
    defaults: Record<string, string>,
    hooks: CallHooks,
  ): AsyncGenerator<ListPage> {
    const from = `${request.call}${request.label ? ` ${request.label}` : ''} page ${page - 1}`;
    const { path, params } = this.relative(next, from);
    return this.walk(request, path, { ...defaults, ...params }, page, hooks);
  }

  /**
   * One cursor chain. It remembers every request it made (and every `after` cursor) with the page
   * number, so a `next` leading back to any of them — A→B→A as well as A→A — fails the pull
   * instead of looping; it fails too after `maxEmptyPages` empty pages in a row that still have
   * `next`. The memory is one short string per page, bounded by the listing's page budget.
   */
  private async *walk(request: ChainName, firstPath: string, firstParams: Record<string, string>, firstPage: number, hooks: CallHooks): AsyncGenerator<ListPage> {
    const visited = new Map<string, number>();
    const cursors = new Map<string, number>();
    const remember = (path: string, params: Record<string, string>, page: number) => {
      visited.set(requestKey(path, params), page);
      if (params.after !== undefined) cursors.set(params.after, page);
    };
    // A page asked ahead is abandoned with the chain: a consumer that stops early, or a failure.
    const abandon = new AbortController();
    const chainHooks: CallHooks = { ...hooks, signal: hooks.signal ? AbortSignal.any([hooks.signal, abandon.signal]) : abandon.signal };
    const whereOf = (page: number) => `${request.call}${request.label ? ` ${request.label}` : ''} page ${page}`;
    const fetch = (path: string, params: Record<string, string>, page: number): { head: Promise<MetaPageHead>; content: Promise<MetaPage> } => {
      const where = whereOf(page);
      request.guard?.take(where);
      let announce: (head: MetaPageHead) => void = () => {};
      const announced = new Promise<MetaPageHead>((resolve) => {
        announce = resolve;
      });
      const content = this.getText(request.call, where, path, params, chainHooks).then((response) =>
        this.reader.read('meta.page', response.text, { where, status: response.status, items: request.items }, announce),
      );
      // The head as soon as the page's envelope is read (page.ts); a page that fails before that fails it too.
      const head = Promise.race([announced, content]);
      // Awaited on the next turn, or never when the chain stops first: not an unhandled rejection.
      head.catch(() => {});
      content.catch(() => {});
      return { head, content };
    };
    let emptyInARow = 0;
    remember(firstPath, firstParams, firstPage);
    let pending = fetch(firstPath, firstParams, firstPage);
    try {
      for (let page = firstPage; ; page++) {
        const where = whereOf(page);
        const { head, content } = pending;
        const { next, count } = await head;
        // The page with its items read: a page whose items fail fails here, before anything it leads to.
        const current = async (): Promise<ListPage> => ({ page, where, hasNext: next !== null, content: await content });
        if (next === null) {
          yield await current();
          return;
        }
        emptyInARow = count === 0 ? emptyInARow + 1 : 0;
        if (emptyInARow >= this.options.maxEmptyPages) {
          yield await current();
          throw new UpstreamError(
            'LIMIT',
            SOURCE,
            where,
            `${emptyInARow} empty pages in a row, each with paging.next (META_MAX_EMPTY_PAGES=${this.options.maxEmptyPages}); stopping instead of paging on`,
          );
        }
        // Where the chain goes next, checked (outside META_GRAPH_URL, a cursor cycle): after this
        // page is handed over, as before reading ahead — a probe that stops after one page never
        // judges a next it doesn't follow, and a failure never hides this page's own.
        const follow = () => {
          const following = this.relative(next, where);
          const back = visited.get(requestKey(following.path, following.params)) ?? (following.params.after === undefined ? undefined : cursors.get(following.params.after));
          if (back !== undefined) {
            const cursor = following.params.after === undefined ? '' : ` (cursor ${JSON.stringify(following.params.after)})`;
            throw new UpstreamError('INCONSISTENT', SOURCE, where, `paging.next leads back to page ${back}${cursor}: a cursor cycle; stopping instead of looping`);
          }
          remember(following.path, following.params, page + 1);
          pending = fetch(following.path, following.params, page + 1);
        };
        if (!request.readAhead) {
          yield await current();
          follow();
          continue;
        }
        // Reading ahead: the next page is asked as soon as this one's envelope is read — before its
        // items are (on the page thread) and before it is handed over — so its round trip overlaps
        // with all the work on this page (validating, hashing, staging); the chain still has one
        // request in flight at most. What stops the chain is thrown after this page's own failure.
        let stop: unknown = null;
        try {
          follow();
        } catch (error) {
          stop = error;
        }
        yield await current();
        if (stop !== null) throw stop;
      }
    } finally {
      abandon.abort();
    }
  }

  /** One object by its id (`GET /{id}?fields=…`), for a targeted read; `call` names it in counts and errors. */
  async node(call: string, id: string, params: Record<string, string>, hooks: CallHooks): Promise<unknown> {
    return this.getJson(call, `${call} ${id}`, `${this.options.apiVersion}/${encodeURIComponent(id)}`, params, hooks);
  }

  /** `GET /debug_token?input_token=…`, read with the system user token. */
  async debugToken(inputToken: string, hooks: CallHooks): Promise<DebugTokenPayload> {
    const body = await this.getJson('debug_token', 'debug_token', `${this.options.apiVersion}/debug_token`, { input_token: inputToken }, hooks);
    const parsed = debugToken.safeParse(body);
    if (!parsed.success) throw new PayloadError(SOURCE, 'debug_token', formatIssue(parsed.error.issues[0]));
    return parsed.data.data;
  }

  /** One GET with the retry policy, its JSON body parsed. */
  private async getJson(call: string, where: string, path: string, params: Record<string, string>, hooks: CallHooks): Promise<unknown> {
    const response = await this.getText(call, where, path, params, hooks);
    return parseJsonBody(response.text, SOURCE, where, response.status);
  }

  /**
   * One GET with the retry policy: never for a dead token or a refusal; bounded for 5xx and
   * throttling. Resolves to a 2xx response, its body unread (an error's body is read here).
   */
  private async getText(call: string, where: string, path: string, params: Record<string, string>, hooks: CallHooks): Promise<RawResponse> {
    const { retries } = this.options;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) hooks.onRetry?.(call);
      await this.wait(() => this.pacer.ready(hooks.signal), where, hooks.signal);
      let response: RawResponse;
      try {
        response = await this.http.requestRaw({
          call: where,
          path,
          searchParams: params,
          headers: { authorization: `Bearer ${this.options.accessToken}` },
          signal: hooks.signal,
          onAttempt: () => hooks.onAttempt?.(call),
        });
      } catch (error) {
        if (error instanceof UpstreamError && RETRY_POLICY[error.code] === 'backoff' && attempt < retries) {
          await this.wait(() => this.sleep(this.backoff(attempt), hooks.signal), where, hooks.signal);
          continue;
        }
        throw error;
      }
      const usage = readUsage(response.headers);
      this.pacer.observe(usage);
      for (const [metric, percent] of Object.entries(usage.metrics)) hooks.onUsage?.(metric, percent);
      if (response.status >= 200 && response.status < 300) return response;

      const body = parseJsonOrNull(response.text);
      const failure = classifyFailure(response.status, this.withoutToken(readGraphError(body)));
      if (failure.retry === 'never') throw new UpstreamError(failure.code, SOURCE, where, failure.detail);
      if (attempt >= retries) {
        throw new UpstreamError(failure.code, SOURCE, where, `${failure.detail}; gave up after ${retries} ${retries === 1 ? 'retry' : 'retries'}`);
      }
      if (failure.retry === 'wait') {
        const waitMs = Math.max(usage.regainMs, retryAfterMs(response.headers['retry-after']), this.backoff(attempt));
        if (waitMs > this.options.throttleMaxWaitSeconds * 1000) {
          throw new UpstreamError(
            'THROTTLED',
            SOURCE,
            where,
            `${failure.detail}; Meta asks to wait ${Math.ceil(waitMs / 60_000)} min, longer than META_THROTTLE_MAX_WAIT_SECONDS (${this.options.throttleMaxWaitSeconds} s): the next pull tries again`,
          );
        }
        // Everyone waits: the quota is shared by all chains of this pull.
        this.pacer.pause(waitMs);
      } else {
        await this.wait(() => this.sleep(this.backoff(attempt), hooks.signal), where, hooks.signal);
      }
    }
  }

  /**
   * Meta's message with our token cut out before it is shortened for the error: shortened first,
   * a token cut in two would no longer be recognised downstream.
   */
  private withoutToken(error: GraphErrorBody | null): GraphErrorBody | null {
    if (!error?.message) return error;
    return { ...error, message: this.scrubber.scrub(error.message) };
  }

  private backoff(attempt: number): number {
    return Math.min(MAX_BACKOFF_MS, (this.options.retryBaseMs ?? 1000) * 2 ** attempt);
  }

  private async wait(pause: () => Promise<void>, where: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      await pause();
    } catch (error) {
      if (signal?.aborted) throw new UpstreamError('ABORTED', SOURCE, where, 'aborted', { cause: error });
      throw error;
    }
  }

  /** `paging.next` is absolute; it must point below META_GRAPH_URL (the token is sent along). */
  private relative(next: string, where: string): { path: string; params: Record<string, string> } {
    let url: URL;
    try {
      url = new URL(next, this.root);
    } catch {
      throw new PayloadError(SOURCE, where, 'paging.next is not a URL');
    }
    if (url.origin !== this.root.origin || !url.pathname.startsWith(this.root.pathname)) {
      throw new PayloadError(SOURCE, where, `paging.next points outside META_GRAPH_URL (${url.origin}${url.pathname})`);
    }
    const params: Record<string, string> = {};
    for (const [name, value] of url.searchParams) if (name !== 'access_token') params[name] = value;
    return { path: url.pathname.slice(this.root.pathname.length), params };
  }
}

/** The same request whatever the order of its parameters. */
function requestKey(path: string, params: Record<string, string>): string {
  const query = new URLSearchParams(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${path}?${query.toString()}`;
}

function retryAfterMs(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : 0;
}
