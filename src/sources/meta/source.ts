/**
 * The Meta source: client WABAs, owned WABAs and the client WABAs' phone numbers from the Graph API.
 *
 * - full: every listing, split by creation_time into concurrent cursor chains when large; the client
 *   list brings each WABA's phone numbers by field expansion (see phone-numbers.ts), so there is no
 *   call per WABA unless one has more than META_PHONE_NUMBERS_PAGE_SIZE numbers. Coverage complete,
 *   so what is gone is reported gone.
 * - incremental: only client WABAs created after the newest creation_time seen minus a lookback
 *   window, with their phone numbers (same expansion, so a new WABA's numbers arrive with it at no
 *   extra call). Coverage partial for both kinds: adds and updates, never removes — a number taken
 *   off a WABA is noticed by the next full pull — and owned WABAs are untouched. It can't see an old
 *   WABA shared recently: only a full pull finds those.
 *
 * Any failing page throws, so the pull is not complete and nothing is emitted or removed. So does
 * paging that would never end (a cursor cycle, a run of empty pages, a listing past its page
 * budget): each listing may take max(META_MAX_PAGES, META_MAX_PAGES_FACTOR × its pages in the last
 * complete full pull) pages, kept in the source state by every complete full pull. An
 * incremental listing is a part of the full one, so it is held to the full listing's budget.
 */
import pLimit from 'p-limit';
import type { HttpConfig } from '../../config.js';
import type { MetaConfig } from './config.js';
import type { PullContext, PullResult, Source } from '../../sync/types.js';
import { PageBudget, formatListingPages, pageCap, parseListingPages } from '../page-budget.js';
import type { PageReader } from '../page-tasks.js';
import { MetaClient, SOURCE } from './client.js';
import { META_KINDS, OWNED_WABA, PHONE_NUMBER, WABA } from './kinds.js';
import { prepareWabas } from './page.js';
import { PhoneNumberReader } from './phone-numbers.js';
import type { Sleep } from './usage.js';
import { type ListedWaba, type Walker, listedWabas, walkCreatedAfter, walkWholeEdge } from './walk.js';
import { wabaFieldsParam } from './schemas.js';
import { UpstreamError } from '../../errors.js';


export interface MetaSourceDeps {
  readonly config: MetaConfig;
  readonly http: HttpConfig;
  /** Injected in tests to observe waits without spending them. */
  readonly sleep?: Sleep;
  /** Where list pages are read into records (the App's page thread); on the pull's thread when omitted. */
  readonly pages?: PageReader;
}

/** Source state: the newest client-WABA creation_time seen by a complete pull (unix seconds). */
export const NEWEST_CREATION_TIME = 'newest_creation_time';

export function createMetaSource(deps: MetaSourceDeps): Source {
  return {
    name: SOURCE,
    kinds: META_KINDS,
    supportsIncremental: true,
    pull: (ctx) => pullMeta(deps, ctx),
    pullTargets: (ctx, targets) => pullMetaTargets(deps, ctx, targets),
  };
}

/**
 * A webhook's WABAs, each read as a full pull reads it: `GET /{waba}` with the list's fields and its
 * phone numbers expanded (one call; a second only for a WABA with more numbers than the page).
 * A WABA Graph refuses to show (no longer shared, error 100) is left to the next full pull.
 */
async function pullMetaTargets(deps: MetaSourceDeps, ctx: PullContext, targets: readonly string[]): Promise<PullResult> {
  const { config } = deps;
  const walker: Walker = {
    client: createMetaClient(deps),
    hooks: { signal: ctx.signal, onAttempt: ctx.countApiCall, onRetry: ctx.countRetry, onUsage: ctx.reportUsage },
    limit: pLimit(config.concurrency),
    pageSize: config.pageSize,
    maxSlices: 1,
    failFast: new AbortController(),
  };
  const phones = new PhoneNumberReader(walker, ctx, config.phoneNumbersPageSize);
  const ids = targets.filter((target) => target.startsWith('waba:')).map((target) => target.slice('waba:'.length));
  /**
   * A WABA the token may not read (yet: a PARTNER_ADDED often comes before the system user is given
   * the asset) is left to the next poll, like one Meta refuses: the batch's other WABAs are still
   * read. Only when no WABA could be read is a permission error the pull's failure.
   */
  const refused: UpstreamError[] = [];
  const read = await Promise.all(
    ids.map((id) =>
      walker.limit(async (): Promise<ListedWaba | null> => {
        let body: unknown;
        try {
          body = await walker.client.node('waba', id, { fields: wabaFieldsParam(config.phoneNumbersPageSize) }, walker.hooks);
        } catch (error) {
          if (error instanceof UpstreamError && error.code === 'UPSTREAM') return null;
          if (error instanceof UpstreamError && error.code === 'PERMISSION') {
            refused.push(error);
            return null;
          }
          throw error;
        }
        // One WABA, read here: a few per webhook.
        const [listed] = listedWabas(prepareWabas([body], `waba ${id}`, true, { ownedNumbers: false }));
        return listed ?? null;
      }),
    ),
  );
  const found = read.filter((listed): listed is ListedWaba => listed !== null);
  if (refused.length > 0 && found.length === 0) throw refused[0];
  const owned = found.filter((listed) => listed.owned);
  const clients = found.filter((listed) => !listed.owned);
  if (clients.length > 0) await ctx.stage(WABA, clients.map((listed) => listed.entity));
  if (owned.length > 0) await ctx.stage(OWNED_WABA, owned.map((listed) => listed.entity));
  const numbers = await phones.read(clients);
  if (numbers.length > 0) await ctx.stage(PHONE_NUMBER, numbers);
  return { coverage: { [WABA]: 'partial', [OWNED_WABA]: 'partial', [PHONE_NUMBER]: 'partial' } };
}

export function createMetaClient(deps: MetaSourceDeps): MetaClient {
  return new MetaClient({
    graphUrl: deps.config.graphUrl,
    apiVersion: deps.config.apiVersion,
    accessToken: deps.config.accessToken,
    timeoutMs: deps.http.timeoutMs,
    retries: deps.http.retries,
    retryBaseMs: deps.http.retryBaseMs,
    maxResponseBytes: deps.http.maxResponseBytes,
    throttleMaxWaitSeconds: deps.config.throttleMaxWaitSeconds,
    slowdownPercent: deps.config.slowdownPercent,
    maxEmptyPages: deps.config.maxEmptyPages,
    sleep: deps.sleep,
    pages: deps.pages,
  });
}

/** The listings of a full pull, each with its own page budget. */
const LISTINGS = ['client_whatsapp_business_accounts', 'owned_whatsapp_business_accounts', 'phone_numbers'] as const;
type Listing = (typeof LISTINGS)[number];

/** Source state: the pages a listing took in the last complete full pull (see page-budget.ts). */
export function listingPagesState(listing: Listing): string {
  return `pages:${listing}`;
}

interface ListingBudget {
  readonly budget: PageBudget;
  /** The page size the listing asks, kept with its page count. */
  readonly limit: number;
}

async function listingBudgets(config: MetaConfig, ctx: PullContext): Promise<Record<Listing, ListingBudget>> {
  const settings = { minPages: config.maxPages, factor: config.maxPagesFactor, minSetting: 'META_MAX_PAGES', factorSetting: 'META_MAX_PAGES_FACTOR' };
  const budgets = {} as Record<Listing, ListingBudget>;
  for (const listing of LISTINGS) {
    const limit = listing === 'phone_numbers' ? config.phoneNumbersPageSize : config.pageSize;
    const previous = parseListingPages(await ctx.readState(listingPagesState(listing)));
    budgets[listing] = { limit, budget: new PageBudget(SOURCE, pageCap(settings, previous, limit), 'raise META_MAX_PAGES if the fleet really is this large') };
  }
  return budgets;
}

async function pullMeta(deps: MetaSourceDeps, ctx: PullContext): Promise<PullResult> {
  const { config } = deps;
  const failFast = new AbortController();
  const budgets = await listingBudgets(config, ctx);
  const walker: Walker = {
    client: createMetaClient(deps),
    hooks: {
      signal: AbortSignal.any([ctx.signal, failFast.signal]),
      onAttempt: ctx.countApiCall,
      onRetry: ctx.countRetry,
      onUsage: ctx.reportUsage,
    },
    limit: pLimit(config.concurrency),
    pageSize: config.pageSize,
    // One worker gains nothing from splitting; several get a few slices each so uneven ones balance.
    maxSlices: config.concurrency === 1 ? 1 : config.concurrency * 4,
    failFast,
    pageGuards: Object.fromEntries(LISTINGS.map((listing) => [listing, budgets[listing].budget])),
  };
  const clients = {
    call: 'client_whatsapp_business_accounts',
    businessId: config.businessId,
    phoneNumbersLimit: config.phoneNumbersPageSize,
  } as const;
  const owned = { call: 'owned_whatsapp_business_accounts', businessId: config.businessId } as const;

  const previous = parseNewest(await ctx.readState(NEWEST_CREATION_TIME));
  let newest = previous;
  let clientCount = 0;
  const phones = new PhoneNumberReader(walker, ctx, config.phoneNumbersPageSize);
  // Each list page is staged as it arrives: its WABAs, then their numbers (the nested pages and
  // any further pages of a WABA with more than N).
  const stageClients = async (listed: ListedWaba[]) => {
    for (const { creationTime } of listed) {
      if (creationTime !== null && (newest === null || creationTime > newest)) newest = creationTime;
    }
    clientCount += listed.length;
    await ctx.stage(WABA, listed.map((item) => item.entity));
    const numbers = await phones.read(listed);
    if (numbers.length > 0 && !walker.failFast.signal.aborted) await ctx.stage(PHONE_NUMBER, numbers);
    ctx.progress(`${clientCount} client WABAs, ${phones.count} phone numbers`);
  };

  if (ctx.mode === 'incremental') {
    const since = previous === null ? null : previous - config.incrementalLookbackSeconds;
    ctx.progress(since === null ? 'reading client WABAs' : `reading client WABAs created after ${new Date(since * 1000).toISOString()}`);
    await walkCreatedAfter(walker, clients, since, stageClients);
    if (newest !== null) ctx.writeState(NEWEST_CREATION_TIME, String(newest));
    return { coverage: { [WABA]: 'partial', [PHONE_NUMBER]: 'partial' } };
  }

  ctx.progress('reading client WABAs and their phone numbers');
  await walkWholeEdge(walker, clients, stageClients);

  ctx.progress(`${clientCount} client WABAs, ${phones.count} phone numbers; reading owned WABAs`);
  let ownedCount = 0;
  await walkWholeEdge(walker, owned, async (listed) => {
    ownedCount += listed.length;
    await ctx.stage(OWNED_WABA, listed.map((item) => item.entity));
  });
  ctx.progress(`${clientCount} client WABAs, ${phones.count} phone numbers, ${ownedCount} owned WABAs`);

  if (newest !== null) ctx.writeState(NEWEST_CREATION_TIME, String(newest));
  for (const listing of LISTINGS) {
    const { budget, limit } = budgets[listing];
    ctx.writeState(listingPagesState(listing), formatListingPages({ pages: budget.pages, limit }));
  }
  return { coverage: { [WABA]: 'complete', [OWNED_WABA]: 'complete', [PHONE_NUMBER]: 'complete' } };
}

function parseNewest(value: string | null): number | null {
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
}
