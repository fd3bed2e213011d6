/**
 * Walking Graph listings: a whole WABA edge (split by creation_time into concurrent cursor chains
 * when it is large), a filtered incremental listing, and small per-WABA lists. Pages are validated
 * item by item and handed to a sink as they arrive; each WABA reaches the sink once per walk.
 */
import type { LimitFunction } from 'p-limit';
import { PayloadError } from '../../errors.js';
import { parseItem } from '../validation.js';
import { type CallHooks, type ListPage, type MetaClient, SOURCE } from './client.js';
import { type WabaPayload, WABA_FIELDS, waba } from './schemas.js';
import { type Slice, WHOLE, inSlice, planSlices, sliceCount, sliceFilter, sliceLabel } from './slices.js';

export interface WabaEdge {
  readonly call: 'client_whatsapp_business_accounts' | 'owned_whatsapp_business_accounts';
  readonly businessId: string;
}

export interface Walker {
  readonly client: MetaClient;
  readonly hooks: CallHooks;
  /** Shared bound on chains in flight. */
  readonly limit: LimitFunction;
  readonly pageSize: number;
  /** Most slices a full listing is split into (1 = always one sequential chain). */
  readonly maxSlices: number;
  /** Aborted by the first failing chain, so the others stop instead of staging into a failed pull. */
  readonly failFast: AbortController;
}

export type WabaSink = (wabas: WabaPayload[]) => Promise<void>;

const ASCENDING = 'creation_time_ascending';
const DESCENDING = 'creation_time_descending';

function listParams(walker: Walker, sort: string, filtering: string | null): Record<string, string> {
  return {
    fields: WABA_FIELDS.join(','),
    limit: String(walker.pageSize),
    sort,
    ...(filtering ? { filtering } : {}),
  };
}

function chain(walker: Walker, edge: WabaEdge, params: Record<string, string>, label?: string): AsyncGenerator<ListPage> {
  return walker.client.pages({ call: edge.call, label, path: `${edge.businessId}/${edge.call}`, params }, walker.hooks);
}

export function readWabas(page: ListPage): WabaPayload[] {
  return page.items.map((value, index) => {
    const parsed = parseItem(waba, value, { list: 'data', index, keyField: 'id' });
    if (!parsed.ok) throw new PayloadError(SOURCE, page.where, parsed.message);
    return parsed.value;
  });
}

/**
 * Every WABA of an edge. The first page ascending tells the lowest creation_time; when more pages
 * follow, the first page descending tells the highest, and from the two the listing is split into
 * slices walked concurrently. The probe pages' WABAs count too (each WABA reaches the sink once).
 */
export async function walkWholeEdge(walker: Walker, edge: WabaEdge, sink: WabaSink): Promise<void> {
  const seen = new Set<string>();
  const deliver = async (wabas: WabaPayload[], slice: Slice) => {
    const fresh: WabaPayload[] = [];
    for (const item of wabas) {
      if (!inSlice(slice, item.creation_time) || seen.has(item.id)) continue;
      seen.add(item.id);
      fresh.push(item);
    }
    if (walker.failFast.signal.aborted) return;
    if (fresh.length > 0) await sink(fresh);
  };

  const ascending = chain(walker, edge, listParams(walker, ASCENDING, null));
  const first = await ascending.next();
  if (first.done) return;
  const low = readWabas(first.value);
  await deliver(low, WHOLE);
  if (!first.value.hasNext) return;
  if (walker.maxSlices <= 1) {
    for await (const page of ascending) await deliver(readWabas(page), WHOLE);
    return;
  }

  const descending = chain(walker, edge, listParams(walker, DESCENDING, null), '(probe, newest first)');
  const top = await descending.next();
  await descending.return(undefined);
  const high = top.done ? [] : readWabas(top.value);
  await deliver(high, WHOLE);

  const times = (items: WabaPayload[]) => items.map((item) => item.creation_time);
  const lowTimes = times(low);
  const highTimes = times(high);
  const placeable = [...lowTimes, ...highTimes].every((t) => t !== null);
  const count = placeable
    ? sliceCount({ ascending: lowTimes as number[], descending: highTimes as number[], pageSize: walker.pageSize, maxSlices: walker.maxSlices })
    : 1; // a WABA without creation_time can't be placed in a slice: walk the one chain to its end

  if (count === 1) {
    for await (const page of ascending) await deliver(readWabas(page), WHOLE);
    return;
  }
  await ascending.return(undefined);
  const slices = planSlices(lowTimes[0] as number, highTimes[0] as number, count);
  await allOrNothing(
    walker,
    slices.map((slice, index) => async () => {
      const label = sliceLabel(slice, index, slices.length);
      for await (const page of chain(walker, edge, listParams(walker, ASCENDING, sliceFilter(slice)), label)) {
        await deliver(readWabas(page), slice);
      }
    }),
  );
}

/** Client WABAs created after `since` (unix seconds), oldest first; the whole edge when null. */
export async function walkCreatedAfter(walker: Walker, edge: WabaEdge, since: number | null, sink: WabaSink): Promise<void> {
  const seen = new Set<string>();
  const filtering = since === null ? null : JSON.stringify([{ field: 'creation_time', operator: 'GREATER_THAN', value: String(since) }]);
  const label = since === null ? undefined : `(creation_time > ${since})`;
  for await (const page of chain(walker, edge, listParams(walker, ASCENDING, filtering), label)) {
    const fresh = readWabas(page).filter((item) => !seen.has(item.id) && (seen.add(item.id), true));
    if (fresh.length > 0) await sink(fresh);
  }
}

/**
 * Runs the jobs within the walker's bound. The first failure aborts the rest; this returns only
 * when every job has stopped (so nothing stages after the pull failed), then throws that failure.
 */
export async function allOrNothing(walker: Walker, jobs: readonly (() => Promise<void>)[]): Promise<void> {
  let failure: { error: unknown } | null = null;
  await Promise.all(
    jobs.map((job) =>
      walker.limit(async () => {
        if (failure || walker.failFast.signal.aborted) return;
        try {
          await job();
        } catch (error) {
          if (!failure) {
            failure = { error };
            walker.failFast.abort(error);
          }
        }
      }),
    ),
  );
  if (failure) throw (failure as { error: unknown }).error;
}
