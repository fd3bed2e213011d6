/**
 * The 99digital source: onboardings (getAccounts) and live numbers with this month's counters
 * (getWhatsApp), validated item by item and mapped to our records. The per-number apiKey is
 * replaced by a keyed fingerprint before anything is stored.
 */
import type { HttpConfig } from '../../config.js';
import type { Digital99Config } from './config.js';
import type { Clock } from '../../clock.js';
import { PayloadError, WabaSyncError } from '../../errors.js';
import type { Fingerprint, FingerprintSource, SecretScrubber } from '../../secrets.js';
import type { CheckFinding, PullContext, PullResult, Source, EntityRecord } from '../../sync/types.js';
import { parseItem } from '../validation.js';
import type { SharedClients } from '../upstream.js';
import { type Digital99Client, SOURCE, digital99Client } from './client.js';
import { NUMBER, NUMBER_COUNTERS, ONBOARDING, digital99Kinds } from './kinds.js';
import type { FastReader } from '../fast-parse.js';
import { type NumberPayload, type OnboardingPayload, fastNumber, fastOnboarding, number, numbersTotals, onboarding } from './schemas.js';

export interface Digital99SourceDeps {
  readonly config: Digital99Config;
  readonly http: HttpConfig & { retryBaseMs?: number };
  readonly clock: Clock;
  readonly fingerprint: FingerprintSource;
  /** Learns the access token and the numbers' apiKeys, so no message can quote them. */
  readonly scrubber?: SecretScrubber;
  readonly clients: SharedClients;
}

export function createDigital99Source(deps: Digital99SourceDeps): Source {
  const client = digital99Client(deps.clients, { ...deps.config, ...deps.http, clock: deps.clock, scrubber: deps.scrubber });
  return {
    name: SOURCE,
    kinds: digital99Kinds(deps.config.tempNumberPrefix),
    supportsIncremental: false,
    pull: async (ctx) => pullDigital99(client, await deps.fingerprint(), deps.config.shortList, ctx, deps.scrubber),
  };
}

/**
 * 99digital answers each list whole; its items are validated, mapped and staged this many at a
 * time, each raw item let go once read, so the raw list, the validated copies and the records of
 * a whole list never exist at once.
 */
const CHUNK = 1000;

async function pullDigital99(
  client: Digital99Client,
  fingerprint: Fingerprint,
  shortList: 'fail' | 'record',
  ctx: PullContext,
  scrubber: SecretScrubber | undefined,
): Promise<PullResult> {
  client.beginPull();
  const hooks = { signal: ctx.signal, onAttempt: ctx.countApiCall, onRetry: ctx.countRetry };

  ctx.progress('reading onboardings (getAccounts)');
  const accounts = takeList('getAccounts', await client.get('getAccounts', hooks));
  const onboardings = accounts.length;
  await stageInChunks('getAccounts', accounts, onboarding, fastOnboarding, 'onboarding_link', (items) => ctx.stage(ONBOARDING, items.map(onboardingRecord)));
  ctx.progress(`${onboardings} onboardings; reading numbers (getWhatsApp)`);

  const whatsApp = await client.get('getWhatsApp', hooks);
  const list = takeList('getWhatsApp', whatsApp);
  const totals = numbersTotals.safeParse(whatsApp);
  const stated = totals.success ? totals.data.totalWhatsApp : undefined;
  const numbers = list.length;
  if (shortList === 'fail' && stated !== undefined && numbers < stated) {
    // Treating it as complete would report the missing numbers as removed (and re-added next time).
    throw new WabaSyncError(
      'INCONSISTENT',
      `${SOURCE} getWhatsApp: the list has ${numbers} numbers but totalWhatsApp says ${stated}: the answer looks cut short (set DIGITAL99_SHORT_LIST=record if 99digital's total legitimately counts more)`,
    );
  }
  const checks = new CounterChecks();
  await stageInChunks('getWhatsApp', list, number, fastNumber, 'whatsapp', async (items) => {
    checks.add(items);
    scrubber?.add(...items.map((item) => item.apiKey));
    await ctx.stage(NUMBER, items.map((item) => numberRecord(item, fingerprint)));
    await ctx.stage(NUMBER_COUNTERS, items.map(counterRecord));
  });
  for (const finding of checks.finish(totals.success ? totals.data : {})) ctx.recordCheck(finding);
  ctx.progress(`${onboardings} onboardings, ${numbers} numbers`);

  return { coverage: { [ONBOARDING]: 'complete', [NUMBER]: 'complete', [NUMBER_COUNTERS]: 'complete' } };
}

/** The answer's `list`, taken out of the body so that staging can let go of its items one by one. */
function takeList(call: string, body: Record<string, unknown>): unknown[] {
  const list = body.list;
  if (!Array.isArray(list)) throw new PayloadError(SOURCE, call, 'field list: missing or not an array');
  delete body.list;
  return list;
}

/** Validates the items CHUNK at a time and hands each chunk on; the raw items are released as they are read. */
async function stageInChunks<T>(call: string, list: unknown[], schema: import('zod').ZodType<T>, fast: FastReader<T>, keyField: string, stage: (items: T[]) => Promise<void>): Promise<void> {
  for (let start = 0; start < list.length; start += CHUNK) {
    const items: T[] = [];
    for (let index = start; index < Math.min(start + CHUNK, list.length); index++) {
      const parsed = parseItem(schema, list[index], { list: 'list', index, keyField }, fast);
      if (!parsed.ok) throw new PayloadError(SOURCE, call, parsed.message);
      items.push(parsed.value);
      list[index] = undefined;
    }
    await stage(items);
  }
}

// Records are built with their keys in sorted order (JavaScript's: capitals first): canonical JSON
// (src/diff/canonical.ts) then writes them as they are instead of copying them sorted.
export function onboardingRecord(item: OnboardingPayload): EntityRecord {
  return {
    key: item.onboarding_link,
    data: {
      business_address: item.business_address,
      business_email: item.business_email,
      business_id: item.business_id,
      business_name: item.business_name,
      coexistence: item.coexistence,
      create_time: item.create_time ?? null,
      display_name: item.display_name,
      landing_page: item.landing_page,
      onboarding_link: item.onboarding_link,
      reference: item.reference,
      status: item.status,
      whatsapp: item.whatsapp,
    },
  };
}

export function numberRecord(item: NumberPayload, fingerprint: Fingerprint): EntityRecord {
  return {
    key: item.whatsapp,
    data: {
      apiKeyFingerprint: item.apiKey ? fingerprint(item.apiKey) : null,
      business_name: item.business_name,
      coexistence: item.coexistence,
      create_time: item.create_time ?? null,
      display_name: item.display_name,
      isOnline: item.isOnline ?? null,
      onlineAccount: item.onlineAccount ?? null,
      onlineInbox: item.onlineInbox ?? null,
      whatsapp: item.whatsapp,
    },
  };
}

export function counterRecord(item: NumberPayload): EntityRecord {
  return {
    key: item.whatsapp,
    data: {
      conversationsThisMonth: item.conversationsThisMonth,
      incomingThisMonth: item.incomingThisMonth,
      marketingThisMonth: item.marketingThisMonth,
      serviceThisMonth: item.serviceThisMonth,
    },
  };
}

/** Counters that don't add up, per number as the numbers are read and against the top-level totals at the end. */
export class CounterChecks {
  private readonly findings: CheckFinding[] = [];
  private readonly sums = { numbers: 0, conversations: 0, marketing: 0, service: 0, incoming: 0 };

  add(numbers: readonly NumberPayload[]): void {
    const { findings, sums } = this;
    for (const n of numbers) {
      const parts = n.marketingThisMonth + n.serviceThisMonth + n.incomingThisMonth;
      if (n.conversationsThisMonth !== parts) {
        findings.push({
          kind: NUMBER_COUNTERS,
          key: n.whatsapp,
          check: 'counters_sum',
          detail: `conversations ${n.conversationsThisMonth} ≠ marketing ${n.marketingThisMonth} + service ${n.serviceThisMonth} + incoming ${n.incomingThisMonth} (= ${parts})`,
        });
      }
      sums.numbers += 1;
      sums.conversations += n.conversationsThisMonth;
      sums.marketing += n.marketingThisMonth;
      sums.service += n.serviceThisMonth;
      sums.incoming += n.incomingThisMonth;
    }
  }

  finish(totals: Partial<Record<string, number>>): CheckFinding[] {
    const { findings, sums } = this;
    const pairs: [string, number | undefined, number][] = [
      ['totalWhatsApp', totals.totalWhatsApp, sums.numbers],
      ['totalConversationsThisMonth', totals.totalConversationsThisMonth, sums.conversations],
      ['totalMarketingThisMonth', totals.totalMarketingThisMonth, sums.marketing],
      ['totalServiceThisMonth', totals.totalServiceThisMonth, sums.service],
      ['totalIncomingThisMonth', totals.totalIncomingThisMonth, sums.incoming],
    ];
    for (const [field, stated, actual] of pairs) {
      if (stated !== undefined && stated !== actual) {
        findings.push({ kind: NUMBER_COUNTERS, key: '*', check: 'totals_sum', detail: `${field} ${stated} ≠ ${actual} from the list` });
      }
    }
    return findings;
  }
}
