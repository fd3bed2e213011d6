/**
 * The Meta source: client WABAs, owned WABAs and the client WABAs' phone numbers from the Graph API.
 *
 * - full: every listing, split by creation_time into concurrent cursor chains when large, plus the
 *   phone numbers of every client WABA; coverage complete, so what is gone is reported gone.
 * - incremental: only client WABAs created after the newest creation_time seen minus a lookback
 *   window; coverage partial (adds and updates, never removes, never touches other kinds). It can't
 *   see an old WABA shared recently: only a full pull finds those.
 *
 * Any failing page throws, so the pull is not complete and nothing is emitted or removed.
 */
import pLimit from 'p-limit';
import type { HttpConfig, MetaConfig } from '../../config.js';
import { PayloadError } from '../../errors.js';
import type { PullContext, PullResult, Source, StagedEntity } from '../../sync/types.js';
import { parseItem } from '../validation.js';
import { MetaClient, SOURCE } from './client.js';
import { META_KINDS, OWNED_WABA, PHONE_NUMBER, WABA } from './kinds.js';
import { PHONE_NUMBER_FIELDS, type PhoneNumberPayload, type WabaPayload, phoneNumber } from './schemas.js';
import type { Sleep } from './usage.js';
import { type Walker, allOrNothing, walkCreatedAfter, walkWholeEdge } from './walk.js';

export interface MetaSourceDeps {
  readonly config: MetaConfig;
  readonly http: HttpConfig;
  /** Injected in tests to observe waits without spending them. */
  readonly sleep?: Sleep;
}

/** Source state: the newest client-WABA creation_time seen by a complete pull (unix seconds). */
export const NEWEST_CREATION_TIME = 'newest_creation_time';

/** Phone numbers are staged in batches rather than per WABA (one WABA usually has one or two). */
const PHONE_STAGE_BATCH = 500;

export function createMetaSource(deps: MetaSourceDeps): Source {
  return {
    name: SOURCE,
    kinds: META_KINDS,
    supportsIncremental: true,
    pull: (ctx) => pullMeta(deps, ctx),
  };
}

export function createMetaClient(deps: MetaSourceDeps): MetaClient {
  return new MetaClient({
    graphUrl: deps.config.graphUrl,
    apiVersion: deps.config.apiVersion,
    accessToken: deps.config.accessToken,
    timeoutMs: deps.http.timeoutMs,
    retries: deps.http.retries,
    retryBaseMs: deps.http.retryBaseMs,
    throttleMaxWaitSeconds: deps.config.throttleMaxWaitSeconds,
    slowdownPercent: deps.config.slowdownPercent,
    sleep: deps.sleep,
  });
}

async function pullMeta(deps: MetaSourceDeps, ctx: PullContext): Promise<PullResult> {
  const { config } = deps;
  const failFast = new AbortController();
  const walker: Walker = {
    client: createMetaClient(deps),
    hooks: { signal: AbortSignal.any([ctx.signal, failFast.signal]), onAttempt: ctx.countApiCall },
    limit: pLimit(config.concurrency),
    pageSize: config.pageSize,
    // One worker gains nothing from splitting; several get a few slices each so uneven ones balance.
    maxSlices: config.concurrency === 1 ? 1 : config.concurrency * 4,
    failFast,
  };
  const clients = { call: 'client_whatsapp_business_accounts', businessId: config.businessId } as const;
  const owned = { call: 'owned_whatsapp_business_accounts', businessId: config.businessId } as const;

  const previous = parseNewest(await ctx.readState(NEWEST_CREATION_TIME));
  let newest = previous;
  const clientIds: string[] = [];
  const stageClients = async (wabas: WabaPayload[]) => {
    for (const item of wabas) {
      if (item.creation_time !== null && (newest === null || item.creation_time > newest)) newest = item.creation_time;
      clientIds.push(item.id);
    }
    await ctx.stage(WABA, wabas.map(wabaRecord));
    ctx.progress(`${clientIds.length} client WABAs`);
  };

  if (ctx.mode === 'incremental') {
    const since = previous === null ? null : previous - config.incrementalLookbackSeconds;
    ctx.progress(since === null ? 'reading client WABAs' : `reading client WABAs created after ${new Date(since * 1000).toISOString()}`);
    await walkCreatedAfter(walker, clients, since, stageClients);
    if (newest !== null) ctx.writeState(NEWEST_CREATION_TIME, String(newest));
    return { coverage: { [WABA]: 'partial' } };
  }

  ctx.progress('reading client WABAs');
  await walkWholeEdge(walker, clients, stageClients);

  ctx.progress(`${clientIds.length} client WABAs; reading owned WABAs`);
  let ownedCount = 0;
  await walkWholeEdge(walker, owned, async (wabas) => {
    ownedCount += wabas.length;
    await ctx.stage(OWNED_WABA, wabas.map(wabaRecord));
  });

  ctx.progress(`${clientIds.length} client and ${ownedCount} owned WABAs; reading phone numbers`);
  await stagePhoneNumbers(walker, ctx, clientIds);

  if (newest !== null) ctx.writeState(NEWEST_CREATION_TIME, String(newest));
  return { coverage: { [WABA]: 'complete', [OWNED_WABA]: 'complete', [PHONE_NUMBER]: 'complete' } };
}

/** `/{waba}/phone_numbers` of every client WABA, within the concurrency bound, every page. */
async function stagePhoneNumbers(walker: Walker, ctx: PullContext, wabaIds: readonly string[]): Promise<void> {
  const seen = new Map<string, string>();
  let buffer: StagedEntity[] = [];
  let read = 0;
  const flush = async () => {
    const batch = buffer;
    buffer = [];
    if (batch.length > 0 && !walker.failFast.signal.aborted) await ctx.stage(PHONE_NUMBER, batch);
  };

  await allOrNothing(
    walker,
    wabaIds.map((wabaId) => async () => {
      const pages = walker.client.pages(
        {
          call: 'phone_numbers',
          label: `(WABA ${wabaId})`,
          path: `${wabaId}/phone_numbers`,
          params: { fields: PHONE_NUMBER_FIELDS.join(','), limit: String(walker.pageSize) },
        },
        walker.hooks,
      );
      for await (const page of pages) {
        page.items.forEach((value, index) => {
          const parsed = parseItem(phoneNumber, value, { list: 'data', index, keyField: 'id' });
          if (!parsed.ok) throw new PayloadError(SOURCE, page.where, parsed.message);
          const other = seen.get(parsed.value.id);
          if (other !== undefined) {
            // Moved between WABAs while we read: keep the first sighting, note the second.
            ctx.recordCheck({ kind: PHONE_NUMBER, key: parsed.value.id, check: 'listed_twice', detail: `listed under WABA ${other} and WABA ${wabaId}` });
            return;
          }
          seen.set(parsed.value.id, wabaId);
          buffer.push(phoneRecord(parsed.value, wabaId));
        });
        if (buffer.length >= PHONE_STAGE_BATCH) await flush();
      }
      read += 1;
      if (read % 1000 === 0) ctx.progress(`phone numbers of ${read}/${wabaIds.length} client WABAs`);
    }),
  );
  await flush();
}

function parseNewest(value: string | null): number | null {
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
}

export function wabaRecord(item: WabaPayload): StagedEntity {
  return { key: item.id, data: { ...item } };
}

export function phoneRecord(item: PhoneNumberPayload, wabaId: string): StagedEntity {
  return { key: item.id, data: { waba_id: wabaId, ...item } };
}
