/**
 * The HTTP edge shared by the source clients: got with bounded retries for 5xx/timeouts/429,
 * a count of every attempt, abort support, and failures turned into UpstreamError naming the
 * source and the call. Responses are read as text and parsed here, so a body that is not JSON is
 * a PayloadError, never a crash. No request option (headers, body) ever reaches an error message.
 *
 * Two limits hold for every upstream call:
 * - redirects are never followed: a 3xx would carry our credential header (or a token request's
 *   client_secret, which a 307 re-sends) to whatever host it names, and its answer would be taken
 *   as the upstream's data. A 3xx fails the call naming only the Location's host.
 * - a response body larger than `maxResponseBytes` is cut off while it streams in (counted after
 *   decompression), so a hostile or broken upstream can't fill the memory.
 */
import got, { CancelError, type CancelableRequest, type Got, type OptionsOfTextResponseBody, type Progress, RequestError, type Response } from 'got';
import { PayloadError, RETRY_POLICY, UpstreamError, codeForHttpStatus } from '../errors.js';
import { parseJsonBody, parseJsonOrNull } from './validation.js';

/** Default of HTTP_MAX_RESPONSE_BYTES: far above a real page (99digital sends its lists whole). */
export const DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024;

export interface HttpClientOptions {
  readonly source: string;
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly retries: number;
  /** First retry delay; doubles each time (default 1000 ms). */
  readonly retryBaseMs?: number;
  /** Longest single wait, also for Retry-After (default 60 s). */
  readonly maxRetryDelayMs?: number;
  readonly headers?: Record<string, string>;
  /** The largest response body read, in bytes (default DEFAULT_MAX_RESPONSE_BYTES). */
  readonly maxResponseBytes?: number;
}

export interface CallOptions {
  /** Names the call in errors and counts, e.g. "getAccounts". */
  readonly call: string;
  readonly method?: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  /** URLSearchParams when a parameter repeats (e.g. several `sort` fields). */
  readonly searchParams?: Record<string, string | number> | URLSearchParams;
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
  /** Invoked for each attempt, retries included. */
  readonly onAttempt?: (call: string) => void;
  /** Invoked before each retry. */
  readonly onRetry?: (call: string) => void;
  /** Statuses returned to the caller instead of thrown (e.g. 4xx with an error envelope); body null when not JSON. */
  readonly acceptStatus?: (status: number) => boolean;
  /** Allow retrying this call (default: GET only; never for credential requests). */
  readonly retry?: boolean;
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Response['headers'];
  readonly body: unknown;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Response['headers'];
  readonly text: string;
}

/** Statuses got retries by itself: those whose code's policy (errors.ts) allows another attempt. */
const RETRY_STATUS = [408, 429, 500, 502, 503, 504, 520, 521, 522, 524].filter((status) => RETRY_POLICY[codeForHttpStatus(status)] !== 'never');

export class HttpClient {
  private readonly got: Got;

  constructor(private readonly options: HttpClientOptions) {
    const base = options.retryBaseMs ?? 1000;
    const max = options.maxRetryDelayMs ?? 60_000;
    this.got = got.extend({
      prefixUrl: options.baseUrl,
      followRedirect: false,
      timeout: { request: options.timeoutMs },
      throwHttpErrors: false,
      headers: { 'user-agent': 'waba-sync', accept: 'application/json', ...options.headers },
      retry: {
        limit: options.retries,
        methods: ['GET'],
        statusCodes: RETRY_STATUS,
        calculateDelay: ({ attemptCount, retryAfter, computedValue }) => {
          if (computedValue === 0) return 0;
          const backoff = base * 2 ** (attemptCount - 1);
          return Math.min(max, retryAfter !== undefined ? Math.max(retryAfter, base) : backoff);
        },
      },
    });
  }

  async request(call: CallOptions): Promise<JsonResponse> {
    const { status, headers, text } = await this.requestText(call);
    // An accepted error status speaks through its status; a body that isn't JSON (an HTML error
    // page in front of the API) must not hide it behind a payload error.
    return { status, headers, body: status >= 400 ? parseJsonOrNull(text) : parseJsonBody(text, this.options.source, call.call, status) };
  }

  /**
   * As `request`, the body left as text: for a caller that reads it elsewhere (a page thread,
   * src/sources/page-thread.ts) and says itself when it is not JSON.
   */
  async requestText(call: CallOptions): Promise<RawResponse> {
    const options: OptionsOfTextResponseBody = {
      method: call.method ?? 'GET',
      searchParams: call.searchParams,
      headers: call.headers,
      signal: call.signal,
      responseType: 'text',
      hooks: { beforeRequest: [() => call.onAttempt?.(call.call)], beforeRetry: [() => call.onRetry?.(call.call)] },
      ...(call.json !== undefined ? { json: call.json } : {}),
      ...(call.retry === false || (call.method === 'POST' && call.retry !== true) ? { retry: { limit: 0 } } : {}),
    };
    const retried = (options.retry as { limit?: number } | undefined)?.limit !== 0 && this.options.retries > 0 && options.method === 'GET';
    const after = retried ? ' (after retries)' : '';
    const response = await this.send(call.call, call.path, options, after);
    const status = response.statusCode;
    if (status >= 400 && !call.acceptStatus?.(status)) {
      const code = codeForHttpStatus(status);
      throw new UpstreamError(code, this.options.source, call.call, `HTTP ${status}${RETRY_POLICY[code] !== 'never' ? after : ''}`, {
        retryAfterMs: retryAfterMs(response.headers['retry-after']),
      });
    }
    return { status, headers: response.headers, text: response.body };
  }

  /**
   * One request, never retried here, returning status, headers and text whatever the status: for
   * clients that read an upstream's own error envelope and pace retries themselves (Meta's
   * throttling and usage headers). Transport failures still become UpstreamError.
   */
  async requestRaw(call: Omit<CallOptions, 'acceptStatus' | 'retry'>): Promise<RawResponse> {
    const response = await this.send(
      call.call,
      call.path,
      {
        method: call.method ?? 'GET',
        searchParams: call.searchParams,
        headers: call.headers,
        signal: call.signal,
        responseType: 'text',
        retry: { limit: 0 },
        hooks: { beforeRequest: [() => call.onAttempt?.(call.call)] },
        ...(call.json !== undefined ? { json: call.json } : {}),
      },
      '',
    );
    return { status: response.statusCode, headers: response.headers, text: response.body };
  }

  /**
   * The one place a request goes out: the body read under the size cap, a redirect refused,
   * transport failures turned into UpstreamError.
   */
  private async send(call: string, path: string, options: OptionsOfTextResponseBody, after: string): Promise<Response<string>> {
    const limit = this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    let tooLarge = false;
    let response: Response<string>;
    try {
      const pending = this.got(path.replace(/^\//, ''), options) as CancelableRequest<Response<string>>;
      // Progress is reported as chunks arrive (and first with the announced Content-Length), so
      // the body is dropped before it grows past the cap.
      pending.on('downloadProgress', (progress: Progress) => {
        if (tooLarge || (progress.transferred <= limit && (progress.total === undefined || progress.total <= limit))) return;
        tooLarge = true;
        pending.cancel();
      });
      response = await pending;
    } catch (error) {
      if (tooLarge && error instanceof CancelError) {
        throw new PayloadError(
          this.options.source,
          call,
          `the response is larger than ${limit} bytes (HTTP_MAX_RESPONSE_BYTES); stopped reading it`,
          { cause: error },
        );
      }
      throw this.transportError(call, error, after);
    }
    if (response.statusCode >= 300 && response.statusCode < 400) throw this.redirectError(call, response);
    return response;
  }

  /** Names where the redirect pointed by host only: its path and query may carry anything. */
  private redirectError(call: string, response: Response<string>): UpstreamError {
    const status = response.statusCode;
    const location = response.headers.location;
    let target = 'no Location';
    let downgrade = false;
    if (location) {
      try {
        const url = new URL(location, response.url);
        downgrade = new URL(this.options.baseUrl).protocol === 'https:' && url.protocol === 'http:';
        target = downgrade ? `http://${url.host}` : url.host;
      } catch {
        target = 'an unreadable Location';
      }
    }
    const why = downgrade ? 'a downgrade from https to http, refused' : 'redirects are never followed, so no credential reaches another host';
    return new UpstreamError('UPSTREAM', this.options.source, call, `HTTP ${status} redirect to ${target} (${why}): check the API URL setting`);
  }

  private transportError(call: string, error: unknown, after: string): UpstreamError {
    if (error instanceof RequestError) {
      if (error.name === 'AbortError' || error.code === 'ERR_ABORTED') {
        return new UpstreamError('ABORTED', this.options.source, call, 'aborted', { cause: error });
      }
      const what = error.name === 'TimeoutError' ? `timed out after ${this.options.timeoutMs} ms` : `${error.code ?? error.name}`;
      return new UpstreamError('UNAVAILABLE', this.options.source, call, `${what}${after}`, { cause: error });
    }
    if (error instanceof Error && error.name === 'AbortError') {
      return new UpstreamError('ABORTED', this.options.source, call, 'aborted', { cause: error });
    }
    return new UpstreamError('UNAVAILABLE', this.options.source, call, String((error as Error)?.message ?? error), { cause: error });
  }
}

function retryAfterMs(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}
