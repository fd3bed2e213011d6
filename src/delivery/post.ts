/**
 * One POST to a subscriber or chat endpoint, bounded every way: a timeout for the whole request,
 * redirects not followed (a 3xx is a failed attempt naming only the target's host), no retries
 * here (the delivery's schedule retries), and at most RESPONSE_PEEK_BYTES of the answer read —
 * a hostile or broken receiver can't hold the dispatcher or fill the memory.
 *
 * Node's own http/https client, on keep-alive agents, rather than got (which the pulls use for its
 * retries and hooks): none of that applies to one bounded POST, and a delivery's request is most
 * of its cost, which sets how fast a burst of events reaches its subscribers (a one-off timing of
 * the three clients is in docs/benchmark.md, "Event delivery"; `npm run bench` measures the lag).
 */
import { type ClientRequest, Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { stripControlChars } from '../render/plain-text.js';

/** What of an answer is kept for `last_error` (then cut further). */
export const RESPONSE_PEEK_BYTES = 1024;

export interface PostOutcome {
  readonly ok: boolean;
  /** null: no answer (refused, timed out, reset). */
  readonly status: number | null;
  /** Why it failed, one line; never the whole response body. */
  readonly error: string | null;
  /** Worth pausing the whole endpoint for (it is down or throttling), not just this delivery. */
  readonly endpointDown: boolean;
}

// Idle connections are dropped after 4 s: before a Node receiver's own 5 s keep-alive timeout, so
// a delivery rarely meets a connection the receiver is closing (and one that does is sent again).
const agents = { http: new HttpAgent({ keepAlive: true, timeout: 4000 }), https: new HttpsAgent({ keepAlive: true, timeout: 4000 }) };

export interface PostOptions {
  /**
   * Send once more, on a new connection, when a kept-alive one turns out closed (reset or broken
   * pipe) as it is reused. The receiver may have read the first one: for a signed webhook that is
   * the same webhook-id again; a chat message has none, so chat leaves this off.
   */
  readonly resendOnReset?: boolean;
}

export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal, options: PostOptions = {}): Promise<PostOutcome> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, status: null, error: 'not a URL', endpointDown: true };
  }
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') return { ok: false, status: null, error: `not an http(s) URL (${target.protocol})`, endpointDown: true };
  if (signal?.aborted) return { ok: false, status: null, error: 'aborted', endpointDown: false };
  const payload = Buffer.from(body, 'utf8');
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let req: ClientRequest | undefined;
    const finish = (outcome: PostOutcome, destroy: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // An answer read to its end leaves the connection to the agent for the next delivery.
      if (destroy) req?.destroy();
      resolve(outcome);
    };
    const onAbort = () => finish({ ok: false, status: null, error: 'aborted', endpointDown: false }, true);
    const requestOptions = {
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length), 'user-agent': 'waba-sync' },
    };
    const send = (again: boolean) => {
      const attempt = (secure ? httpsRequest : httpRequest)(target, requestOptions, (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (whole: boolean) => {
          const peek = Buffer.concat(chunks).subarray(0, RESPONSE_PEEK_BYTES).toString('utf8');
          if (status >= 200 && status < 300) return finish({ ok: true, status, error: null, endpointDown: false }, !whole);
          if (status >= 300 && status < 400) {
            const location = String(response.headers.location ?? '');
            let host = '(no Location)';
            try {
              host = new URL(location, url).host;
            } catch {}
            return finish({ ok: false, status, error: `HTTP ${status} redirect to ${host} (not followed)`, endpointDown: false }, !whole);
          }
          finish({ ok: false, status, error: `HTTP ${status}${peek.trim() ? `: ${oneLine(peek)}` : ''}`, endpointDown: status >= 500 || status === 429 || status === 408 }, !whole);
        };
        response.on('data', (chunk: Buffer) => {
          if (size < RESPONSE_PEEK_BYTES) chunks.push(chunk);
          size += chunk.length;
          if (size >= RESPONSE_PEEK_BYTES) done(false);
        });
        response.on('end', () => done(true));
        response.on('error', () => done(false));
      });
      req = attempt;
      attempt.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive connection the receiver closed just as it was reused: once more on a new one.
        if (again && !settled && attempt.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) return send(false);
        finish({ ok: false, status: null, error: error.code ?? String(error.message ?? error), endpointDown: true }, true);
      });
      attempt.end(payload);
    };
    try {
      send(options.resendOnReset !== false);
    } catch (error) {
      // A header node refuses (a character it can't send): this attempt fails, the lane goes on.
      return finish({ ok: false, status: null, error: String((error as Error)?.message ?? error), endpointDown: false }, false);
    }
    timer = setTimeout(() => finish({ ok: false, status: null, error: `no answer within ${timeoutMs} ms`, endpointDown: true }, true), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** At most 200 characters on one line, the receiver's control characters and escape sequences gone: enough to tell an error page from another. */
function oneLine(text: string): string {
  const line = stripControlChars(text).replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
