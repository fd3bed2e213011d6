/**
 * Walking Graph listings: a whole WABA edge (split by creation_time into concurrent cursor chains
 * when it is large) and a filtered incremental listing. Pages are validated item by item and handed
 * to a sink as they arrive; each WABA reaches the sink once per walk, with the first page of its
 * phone numbers when the edge expands them.
 */
import type { LimitFunction } from 'p-limit';
import { PayloadError } from '../../errors.js';
import { parseItem } from '../validation.js';
import type { PageGuard } from '../page-budget.js';
import { type CallHooks, type ListPage, type MetaClient, SOURCE } from './client.js';
import { FAIL, optional } from '../fast-parse.js';
import { type NestedPage, type WabaPayload, fastListPage, fastWaba, waba, wabaFieldsParam, wabaWithPhoneNumbers } from './schemas.js';

const fastNestedPage = optional(fastListPage);
import { type Slice, WHOLE, inSlice, planSlices, sliceCount, sliceFilter, sliceLabel } from './slices.js';

export interface WabaEdge {
  readonly call: 'client_whatsapp_business_accounts' | 'owned_whatsapp_business_accounts';
  readonly businessId: string;
  /** Expand each WABA's phone numbers, this many per nested page (null/absent: don't). */
  readonly phoneNumbersLimit?: number | null;
}

/** One WABA of a list page. */
export interface ListedWaba {
  readonly waba: WabaPayload;
  /**
   * The first page of its phone numbers, when the edge expands them; undefined when the key was
   * absent (Graph leaves an empty edge out) or not asked for.
   */
  readonly phoneNumbers: NestedPage | undefined;
  /** The list page it came from, for messages. */
  readonly where: string;
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
  return walker.client.pages({ call: edge.call, label, guard, readAhead, path: `${edge.businessId}/${edge.call}`, params }, walker.hooks);
}

export function readWabas(page: ListPage, edge: WabaEdge): ListedWaba[] {
  const expanded = (edge.phoneNumbersLimit ?? null) !== null;
  return page.items.map((value, index) => {
    if (!expanded) {
      const parsed = parseItem(waba, value, { list: 'data', index, keyField: 'id' }, fastWaba);
      if (!parsed.ok) throw new PayloadError(SOURCE, page.where, parsed.message);
      return { waba: parsed.value, phoneNumbers: undefined, where: page.where };
    }
    // The fast paths first, without the copy that splitting zod's answer takes.
    const quick = fastWaba(value);
    const nested = quick === FAIL ? FAIL : fastNestedPage((value as Record<string, unknown>).phone_numbers);
    if (quick !== FAIL && nested !== FAIL) return { waba: quick, phoneNumbers: nested, where: page.where };
    const parsed = parseItem(wabaWithPhoneNumbers, value, { list: 'data', index, keyField: 'id' });
    if (!parsed.ok) throw new PayloadError(SOURCE, page.where, parsed.message);
    const { phone_numbers: phoneNumbers, ...item } = parsed.value;
    return { waba: item, phoneNumbers, where: page.where };
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
      if (!inSlice(slice, item.waba.creation_time) || seen.has(item.waba.id)) continue;
      seen.add(item.waba.id);
      fresh.push(item);
    }
    if (walker.failFast.signal.aborted) return;
    if (fresh.length > 0) await sink(fresh);
  };

  const ascending = chain(walker, edge, listParams(walker, edge, ASCENDING, null));
  const first = await ascending.next();
  if (first.done) return;
  const low = readWabas(first.value, edge);
  await deliver(low, WHOLE);
  if (!first.value.hasNext) return;
  if (walker.maxSlices <= 1) {
    for await (const page of ascending) await deliver(readWabas(page, edge), WHOLE);
    return;
  }

  const descending = chain(walker, edge, listParams(walker, edge, DESCENDING, null), '(probe, newest first)');
  const top = await descending.next();
  await descending.return(undefined);
  const high = top.done ? [] : readWabas(top.value, edge);
  await deliver(high, WHOLE);

  const times = (items: ListedWaba[]) => items.map((item) => item.waba.creation_time);
  const lowTimes = times(low);
  const highTimes = times(high);
  const placeable = [...lowTimes, ...highTimes].every((t) => t !== null);
  const count = placeable
    ? sliceCount({ ascending: lowTimes as number[], descending: highTimes as number[], pageSize: walker.pageSize, maxSlices: walker.maxSlices })
    : 1; // a WABA without creation_time can't be placed in a slice: walk the one chain to its end

  if (count === 1) {
    for await (const page of ascending) await deliver(readWabas(page, edge), WHOLE);
    return;
  }
  await ascending.return(undefined);
  const slices = planSlices(lowTimes[0] as number, highTimes[0] as number, count);
  await allOrNothing(
    walker,
    slices.map((slice, index) => async () => {
      const label = sliceLabel(slice, index, slices.length);
      for await (const page of chain(walker, edge, listParams(walker, edge, ASCENDING, sliceFilter(slice)), label, true)) {
        await deliver(readWabas(page, edge), slice);
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
    const fresh = readWabas(page, edge).filter((item) => {
      if (seen.has(item.waba.id)) return false;
      seen.add(item.waba.id);
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
