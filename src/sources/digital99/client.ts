/**
 * 99digital partners API client: the one-hour access token (cached, renewed before it expires,
 * renewed once when a data call says it expired) and the data calls. A failing token request is
 * never retried: the provider blocks the caller's IP after repeated wrong tries.
 */
import type { Clock } from '../../clock.js';
import { PayloadError, UpstreamError } from '../../errors.js';
import type { SecretScrubber } from '../../secrets.js';
import type { SharedClients } from '../upstream.js';
import { HttpClient } from '../http.js';
import { type Digital99Call, TOKEN_EXPIRED_REASON, reasonMeaning } from './reasons.js';

/** The calls that change something at the provider (src/sources/digital99/onboarding-link.ts). */
export type WriteCall = 'createAccount' | 'deleteAccount';
import { envelope, tokenResponse } from './schemas.js';
import { formatIssue } from '../validation.js';
import { type MonthlyStatistics, type StatisticsRange, readStatistics, statisticsParams } from './statistics.js';

export const SOURCE = 'digital99';

export interface Digital99ClientOptions {
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryBaseMs?: number;
  /** The largest response body read (HTTP_MAX_RESPONSE_BYTES; default in http.ts). */
  readonly maxResponseBytes?: number;
  readonly clock: Clock;
  /** Told each access token received, so no message can quote it. */
  readonly scrubber?: SecretScrubber;
}

export interface CallHooks {
  readonly signal?: AbortSignal;
  readonly onAttempt?: (call: string) => void;
  readonly onRetry?: (call: string) => void;
}

/** Renew this long before the stated expiry, so a token never expires mid-pull in the normal case. */
const RENEW_MARGIN_MS = 5 * 60_000;

/**
 * After 99digital rejected our credentials (or blocked our IP), no token request is made for this
 * long, whatever runs in between (frequent pulls, the month-end pull, the report's statistics):
 * repeated wrong tries are what gets the IP blocked. A restart (e.g. with fixed credentials) tries
 * at once.
 */
export const CREDENTIAL_COOLDOWN_MS = 60 * 60_000;

export class Digital99Client {
  private readonly http: HttpClient;
  private token: { value: string; expiresAt: number } | null = null;
  /** Set after a token request failed, so the same pull never asks again. */
  private tokenFailure: UpstreamError | null = null;
  /** Credentials rejected or IP blocked, and when: no token request until the cool-down ends. */
  private credentialFailure: { error: UpstreamError; at: number } | null = null;

  constructor(private readonly options: Digital99ClientOptions) {
    this.http = new HttpClient({
      source: SOURCE,
      baseUrl: options.apiUrl,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      retryBaseMs: options.retryBaseMs,
      maxResponseBytes: options.maxResponseBytes,
    });
  }

  /**
   * Call at the start of each pull: a new pull may try the token request once more — unless the
   * credentials were rejected less than CREDENTIAL_COOLDOWN_MS ago.
   */
  beginPull(): void {
    this.tokenFailure = null;
    const failure = this.credentialFailure;
    if (failure && this.options.clock().getTime() - failure.at < CREDENTIAL_COOLDOWN_MS) {
      const until = new Date(failure.at + CREDENTIAL_COOLDOWN_MS).toISOString().slice(0, 16).replace('T', ' ');
      this.tokenFailure = new UpstreamError(
        failure.error.code,
        SOURCE,
        'accessToken',
        `${failure.error.message.replace(/^digital99 accessToken: /, '')} — not asked again before ${until} UTC, to avoid an IP block (restart to try at once)`,
      );
    } else {
      this.credentialFailure = null;
    }
  }

  /** GET a data endpoint; returns the parsed body of an OK answer. */
  async get(call: Exclude<Digital99Call, 'accessToken' | WriteCall>, hooks: CallHooks, searchParams?: Record<string, string>): Promise<Record<string, unknown>> {
    return this.send(call, hooks, { searchParams });
  }

  /**
   * A write (createAccount, deleteAccount): sent once, never retried after a timeout or a 5xx —
   * the provider may have acted on it, and a second create is refused (one link per number)
   * while a second delete would report "not found". A "token expired" answer means it was not
   * acted on, so that one is renewed and sent again, as for reads.
   */
  async write(call: WriteCall, hooks: CallHooks, request: { method: 'POST' | 'DELETE'; path: string; json: unknown }): Promise<Record<string, unknown>> {
    return this.send(call, hooks, { method: request.method, path: request.path, json: request.json, retry: false });
  }

  private async send(
    call: Exclude<Digital99Call, 'accessToken'>,
    hooks: CallHooks,
    request: { searchParams?: Record<string, string>; method?: 'GET' | 'POST' | 'DELETE'; path?: string; json?: unknown; retry?: boolean },
  ): Promise<Record<string, unknown>> {
    let renewed = false;
    for (;;) {
      const token = await this.accessToken(hooks, renewed);
      let failure: UpstreamError;
      try {
        const response = await this.http.request({
          call,
          method: request.method,
          path: request.path ?? `whatsapp/${call}`,
          searchParams: request.searchParams,
          json: request.json,
          retry: request.retry,
          headers: { authorization: `Bearer ${token}` },
          signal: hooks.signal,
          onAttempt: hooks.onAttempt,
          onRetry: hooks.onRetry,
        });
        const body = readEnvelope(call, response.body);
        if (body.status === 'OK') return body.raw;
        const meaning = reasonMeaning(call, body.reason ?? -1);
        failure = new UpstreamError(body.reason === TOKEN_EXPIRED_REASON ? 'AUTH' : meaning.code, SOURCE, call, withUpstreamMessage(meaning.text, body.raw.message));
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error;
        failure = error;
      }
      // Refused for its token in any words — reason 3 (expired), reason 2, HTTP 401 or 403: that
      // token is dropped, so neither this call nor the next pull sends it again, and renewed once.
      // A refusal of a fresh token fails the call (no loop); the token request has its own cool-down.
      if (failure.code !== 'AUTH') throw failure;
      this.token = null;
      if (renewed) throw failure;
      renewed = true;
    }
  }

  /** 99digital's monthly statistics (getConversationsStatistics) for a range of months. */
  async conversationsStatistics(range: StatisticsRange, hooks: CallHooks = {}): Promise<MonthlyStatistics[]> {
    return readStatistics(await this.get('getConversationsStatistics', hooks, statisticsParams(range)));
  }

  private async accessToken(hooks: CallHooks, forceRenew: boolean): Promise<string> {
    if (this.tokenFailure) throw this.tokenFailure;
    const now = this.options.clock().getTime();
    if (!forceRenew && this.token && this.token.expiresAt - RENEW_MARGIN_MS > now) return this.token.value;
    this.token = null;
    try {
      const response = await this.http.request({
        call: 'accessToken',
        method: 'POST',
        path: 'settings/accessToken',
        json: { client_id: this.options.clientId, client_secret: this.options.clientSecret },
        signal: hooks.signal,
        onAttempt: hooks.onAttempt,
        retry: false,
        acceptStatus: (status) => status < 500,
      });
      const body = readEnvelope('accessToken', response.body);
      if (body.status !== 'OK') {
        const meaning = reasonMeaning('accessToken', body.reason ?? -1);
        throw new UpstreamError(meaning.code, SOURCE, 'accessToken', meaning.text);
      }
      const parsed = tokenResponse.safeParse(body.raw);
      if (!parsed.success) {
        throw new PayloadError(SOURCE, 'accessToken', formatIssue(parsed.error.issues[0]));
      }
      // expiration_time is unix seconds; a value in the past or absurd means "one hour" per the docs.
      const stated = parsed.data.expiration_time * 1000;
      const expiresAt = stated > now && stated < now + 24 * 3_600_000 ? stated : now + 3_600_000;
      this.options.scrubber?.add(parsed.data.access_token);
      this.token = { value: parsed.data.access_token, expiresAt };
      return this.token.value;
    } catch (error) {
      if (error instanceof UpstreamError && error.code !== 'ABORTED') this.tokenFailure = error;
      if (error instanceof UpstreamError && (error.code === 'AUTH' || error.code === 'BLOCKED')) {
        this.credentialFailure = { error, at: now };
      }
      throw error;
    }
  }
}

/** The provider's own words, when it sent any, after ours (upstream text: shown through stripControlChars by whoever prints it). */
function withUpstreamMessage(text: string, message: unknown): string {
  return typeof message === 'string' && message.trim() ? `${text}: 99digital says ${JSON.stringify(message.trim().slice(0, 200))}` : text;
}

interface Envelope {
  status: 'OK' | 'FAIL';
  reason: number | undefined;
  raw: Record<string, unknown>;
}

function readEnvelope(call: Digital99Call, body: unknown): Envelope {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new PayloadError(SOURCE, call, 'response is not a JSON object');
  }
  const parsed = envelope.safeParse(body);
  if (!parsed.success) throw new PayloadError(SOURCE, call, formatIssue(parsed.error.issues[0]));
  return { status: parsed.data.status, reason: parsed.data.reason, raw: body as Record<string, unknown> };
}

/**
 * The App's one 99digital client, so every user in it (the source's pulls, the report's
 * statistics) shares the token and the credential cool-down.
 */
export function digital99Client(clients: SharedClients, options: Digital99ClientOptions): Digital99Client {
  return clients.get(SOURCE, () => new Digital99Client(options));
}
