/**
 * One POST to a subscriber or chat endpoint, bounded every way: a timeout for the whole request,
 * redirects not followed (a 3xx is a failed attempt naming only the target's host), no retries
 * here (the delivery's schedule retries), and at most RESPONSE_PEEK_BYTES of the answer read —
 * a hostile or broken receiver can't hold the dispatcher or fill the memory.
 */
import got, { RequestError } from 'got';

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

export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<PostOutcome> {
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      stream.destroy();
      resolve(outcome);
    };
    const stream = got.stream.post(url, {
      body,
      headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'waba-sync' },
      followRedirect: false,
      throwHttpErrors: false,
      retry: { limit: 0 },
      timeout: { request: timeoutMs },
      decompress: true,
      ...(signal ? { signal } : {}),
    });
    stream.on('response', (response: { statusCode: number; headers: Record<string, string | string[] | undefined> }) => {
      const status = response.statusCode;
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const peek = Buffer.concat(chunks).subarray(0, RESPONSE_PEEK_BYTES).toString('utf8');
        if (status >= 200 && status < 300) return finish({ ok: true, status, error: null, endpointDown: false });
        if (status >= 300 && status < 400) {
          const location = String(response.headers.location ?? '');
          let host = '(no Location)';
          try {
            host = new URL(location, url).host;
          } catch {}
          return finish({ ok: false, status, error: `HTTP ${status} redirect to ${host} (not followed)`, endpointDown: false });
        }
        finish({ ok: false, status, error: `HTTP ${status}${peek.trim() ? `: ${oneLine(peek)}` : ''}`, endpointDown: status >= 500 || status === 429 || status === 408 });
      };
      stream.on('data', (chunk: Buffer) => {
        if (size < RESPONSE_PEEK_BYTES) chunks.push(chunk);
        size += chunk.length;
        if (size >= RESPONSE_PEEK_BYTES) done();
      });
      stream.on('end', done);
    });
    stream.on('error', (error: unknown) => {
      const code = error instanceof RequestError ? error.code : undefined;
      const what = code === 'ETIMEDOUT' ? `no answer within ${timeoutMs} ms` : code ? `${code}` : String((error as Error)?.message ?? error);
      finish({ ok: false, status: null, error: what, endpointDown: true });
    });
  });
}

/** At most 200 characters on one line: enough to tell an error page from another. */
function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
