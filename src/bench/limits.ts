/**
 * The limits a pull is measured against, from the fleet as it is when the pull starts:
 *
 * - the fewest API calls: every list read at the largest page the upstream serves (Meta's phone
 *   numbers ride along on the WABA list by field expansion, one number per WABA fitting in it);
 * - the latency floor: those calls, `concurrency` at a time, each taking one round trip;
 * - (measured by the worker) raw better-sqlite3 inserting the same rows in one transaction;
 * - (measured by the worker) the read floor: the pull's own requests sent again and parsed (read-floor.ts).
 */
import type { BenchUpstreams } from './fleet.js';

export interface CallMinimum {
  /** Calls per list at the largest page size. */
  readonly lists: Record<string, number>;
  readonly total: number;
}

export function pages(rows: number, pageSize: number): number {
  return Math.max(1, Math.ceil(rows / pageSize));
}

function minimum(lists: Record<string, number>): CallMinimum {
  return { lists, total: Object.values(lists).reduce((sum, n) => sum + n, 0) };
}

export function metaFullMinimum(upstreams: BenchUpstreams): CallMinimum {
  const { meta } = upstreams;
  return minimum({
    client_whatsapp_business_accounts: pages(meta.clients.items.length, meta.maxLimit),
    owned_whatsapp_business_accounts: pages(meta.owned.items.length, meta.maxLimit),
  });
}

/** Client WABAs created after `since` (unix seconds), at the largest page. */
export function metaIncrementalMinimum(upstreams: BenchUpstreams, since: number): CallMinimum {
  const { meta } = upstreams;
  const window = meta.clients.items.length - meta.clients.timeBound(since, true);
  return minimum({ client_whatsapp_business_accounts: pages(window, meta.maxLimit) });
}

/** Both lists come whole in one answer each; a token first when the process has none yet. */
export function digital99Minimum(needsToken: boolean): CallMinimum {
  return minimum({ ...(needsToken ? { accessToken: 1 } : {}), getAccounts: 1, getWhatsApp: 1 });
}

export function dialog360Minimum(upstreams: BenchUpstreams): CallMinimum {
  const { dialog360 } = upstreams;
  return minimum({
    clients: pages(dialog360.clients.size, dialog360.maxLimit),
    channels: pages(dialog360.channels.size, dialog360.maxLimit),
  });
}

/** Pages needed ÷ allowed concurrency × latency, rounding the rounds up. */
export function latencyFloorMs(calls: number, concurrency: number, latencyMs: number): number {
  return Math.ceil(calls / concurrency) * latencyMs;
}
