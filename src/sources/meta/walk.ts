/**
 * Walking Graph listings: a whole WABA edge (split by creation_time into concurrent cursor chains
 * when it is large) and a filtered incremental listing. Pages arrive read into prepared rows
 * (page.ts, on the page thread) and are handed to a sink as they arrive; each WABA reaches the
 * sink once per walk, with the first page of its phone numbers when the edge expands them.
 */
import type { LimitFunction } from 'p-limit';
import type { PreparedEntity } from '../../sync/types.js';
import type { PageGuard } from '../page-budget.js';
import { preparedEntities } from '../prepared.js';
import type { CallHooks, ListPage, MetaClient } from './client.js';
import type { PreparedWabas } from './page.js';
import { wabaFieldsParam } from './schemas.js';
import { type Slice, WHOLE, inSlice, planSlices, sliceCount, sliceFilter, sliceLabel } from './slices.js';

export interface WabaEdge {
  readonly call: 'client_whatsapp_business_accounts' | 'owned_whatsapp_business_accounts';
  readonly businessId: string;
  /** Expand each WABA's phone numbers, this many per nested page (null/absent: don't). */
  readonly phoneNumbersLimit?: number | null;
}

/** One WABA of a list page. */
export interface ListedWaba {
  readonly id: string;
  readonly creationTime: number | null;
  /** `ownership_type` is SELF. */
  readonly owned: boolean;
  /** Its record, prepared for staging. */
  readonly entity: PreparedEntity;
  /**
   * The first page of its phone numbers, when the edge expands them; undefined when the key was
   * absent (Graph leaves an empty edge out) or not asked for.
   */
  readonly phoneNumbers: { readonly entities: readonly PreparedEntity[]; readonly next: string | null } | undefined;
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
  /**
   * Page budget per listing, by call name (`client_whatsapp_business_accounts`,
   * `owned_whatsapp_business_accounts`, `phone_numbers`): every chain of a listing draws on it.
   */
  readonly pageGuards?: Readonly<Partial<Record<string, PageGuard>>>;
}

export type WabaSink = (wabas: ListedWaba[]) => Promise<void>;

const ASCENDING = 'creation_time_ascending';
const DESCENDING = 'creation_time_descending';

function listParams(walker: Walker, edge: WabaEdge, sort: string, filtering: string | null): Record<string, string> {
  return {
    fields: wabaFieldsParam(edge.phoneNumbersLimit ?? null),
    limit: String(walker.pageSize),
    sort,
    ...(filtering ? { filtering } : {}),
  };
}

/** `readAhead` for a chain read to its end (see ChainName). */
function chain(walker: Walker, edge: WabaEdge, params: Record<string, string>, label?: string, readAhead = false): AsyncGenerator<ListPage> {
  const guard = walker.pageGuards?.[edge.call];
  const items = { kind: 'wabas', expanded: (edge.phoneNumbersLimit ?? null) !== null } as const;
  return walker.client.pages({ call: edge.call, items, label, guard, readAhead, path: `${edge.businessId}/${edge.call}`, params }, walker.hooks);
}

/** A WABA list page's WABAs (see chain). */
function wabasOf(page: ListPage): ListedWaba[] {
  return listedWabas(page.content.wabas!);
}

/** Prepared WABAs (page.ts) one by one, each with its first page of numbers. */
export function listedWabas(wabas: PreparedWabas): ListedWaba[] {
  return preparedEntities(wabas.rows).map((entity, index) => {
    const from = index === 0 ? 0 : wabas.phoneEnds[index - 1]!;
    const phoneNumbers = wabas.phonesListed[index] ? { entities: preparedEntities(wabas.phones, from, wabas.phoneEnds[index]), next: wabas.phonesNext[index]! } : undefined;
    return { id: entity.key, creationTime: wabas.creationTime[index]!, owned: wabas.owned[index]!, entity, phoneNumbers };
  });
}

/**
 * Every WABA of an edge. The first page ascending tells the lowest creation_time; when more pages
 * follow, the first page descending tells the highest, and from the two the listing is split into
 * slices walked concurrently. The probe pages' WABAs count too (each WABA reaches the sink once).
 */
export async function walkWholeEdge(walker: Walker, edge: WabaEdge, sink: WabaSink): Promise<void> {
  const seen = new Set<string>();
  const deliver = async (wabas: ListedWaba[], slice: Slice) => {
    const fresh: ListedWaba[] = [];
    for (const item of wabas) {
      if (!inSlice(slice, item.creationTime) || seen.has(item.id)) continue;
      seen.add(item.id);
      fresh.push(item);
    }
    if (walker.failFast.signal.aborted) return;
    if (fresh.length > 0) await sink(fresh);
  };

  const ascending = chain(walker, edge, listParams(walker, edge, ASCENDING, null));
  const first = await ascending.next();
  if (first.done) return;
  const low = wabasOf(first.value);
  await deliver(low, WHOLE);
  if (!first.value.hasNext) return;
  if (walker.maxSlices <= 1) {
    for await (const page of ascending) await deliver(wabasOf(page), WHOLE);
    return;
  }

  const descending = chain(walker, edge, listParams(walker, edge, DESCENDING, null), '(probe, newest first)');
  const top = await descending.next();
  await descending.return(undefined);
  const high = top.done ? [] : wabasOf(top.value);
  await deliver(high, WHOLE);

  const times = (items: ListedWaba[]) => items.map((item) => item.creationTime);
  const lowTimes = times(low);
  const highTimes = times(high);
  const placeable = [...lowTimes, ...highTimes].every((t) => t !== null);
  const count = placeable
    ? sliceCount({ ascending: lowTimes as number[], descending: highTimes as number[], pageSize: walker.pageSize, maxSlices: walker.maxSlices })
    : 1; // a WABA without creation_time can't be placed in a slice: walk the one chain to its end

  if (count === 1) {
    for await (const page of ascending) await deliver(wabasOf(page), WHOLE);
    return;
  }
  await ascending.return(undefined);
  const slices = planSlices(lowTimes[0] as number, highTimes[0] as number, count);
  await allOrNothing(
    walker,
    slices.map((slice, index) => async () => {
      const label = sliceLabel(slice, index, slices.length);
      for await (const page of chain(walker, edge, listParams(walker, edge, ASCENDING, sliceFilter(slice)), label, true)) {
        await deliver(wabasOf(page), slice);
      }
    }),
  );
}

/** Client WABAs created after `since` (unix seconds), oldest first; the whole edge when null. */
export async function walkCreatedAfter(walker: Walker, edge: WabaEdge, since: number | null, sink: WabaSink): Promise<void> {
  const seen = new Set<string>();
  const filtering = since === null ? null : JSON.stringify([{ field: 'creation_time', operator: 'GREATER_THAN', value: String(since) }]);
  const label = since === null ? undefined : `(creation_time > ${since})`;
  for await (const page of chain(walker, edge, listParams(walker, edge, ASCENDING, filtering), label, true)) {
    const fresh = wabasOf(page).filter((item) => {
      if (seen.has(item.id)) return false;
      seen.add(item.id);
      return true;
    });
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
