/**
 * Loopback servers that stand between a source and its simulator the way a broken or hostile
 * upstream (or a man in the middle) would: a front that answers chosen requests with a redirect
 * to another host, and that other host, which records whatever reaches it.
 */
import { afterEach } from 'vitest';
import { type RunningSimulator, type SimHandler, type SimRequest, type SimResponse, startSimulator } from '../../src/simulator/server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

export interface Catcher {
  /** Base URL of the foreign host. */
  readonly url: string;
  /** Every request that reached it, headers and body included. */
  readonly received: SimRequest[];
}

/** A foreign host that records each request and answers with `answer` (a plausible "empty" payload). */
export async function startCatcher(answer: unknown): Promise<Catcher> {
  const received: SimRequest[] = [];
  const server = await startSimulator({
    '/': (request) => {
      received.push(request);
      return { status: 200, body: answer };
    },
  });
  cleanups.push(() => server.close());
  return { url: server.url, received };
}

export interface RedirectingFront {
  /** Base URL of `prefix` on the front: use it as the source's API URL. */
  readonly apiUrl: string;
  /** Which requests are redirected (and with which status); null passes them to the simulator. */
  redirect: ((request: SimRequest) => number | null) | null;
}

/**
 * Serves the simulator's `handler` under `prefix`, except that requests `redirect` picks are
 * answered with that 3xx status and a Location on the catcher carrying a tempting path and query.
 */
export async function startRedirectingFront(prefix: string, handler: SimHandler, catcher: Catcher): Promise<RedirectingFront> {
  let sim: RunningSimulator | null = null;
  const front: RedirectingFront = {
    apiUrl: '',
    redirect: null,
  };
  sim = await startSimulator({
    [prefix]: (request): SimResponse | Promise<SimResponse> => {
      const status = front.redirect?.(request) ?? null;
      if (status === null) return handler(request);
      return { status, body: {}, headers: { location: `${catcher.url}/collect${request.path}?stolen=secret-query` } };
    },
  });
  cleanups.push(() => sim!.close());
  (front as { apiUrl: string }).apiUrl = sim.urlOf(prefix);
  return front;
}
