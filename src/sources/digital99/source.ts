/**
 * The 99digital source: onboardings (getAccounts) and live numbers with this month's counters
 * (getWhatsApp), validated item by item and mapped to our records. The per-number apiKey is
 * replaced by a keyed fingerprint before anything is stored.
 */
import type { Digital99Config, HttpConfig } from '../../config.js';
import type { Clock } from '../../clock.js';
import { PayloadError, WabaSyncError } from '../../errors.js';
import type { Fingerprint } from '../../secrets.js';
import type { CheckFinding, PullContext, PullResult, Source, StagedEntity } from '../../sync/types.js';
import { parseItem } from '../validation.js';
import { type Digital99Client, SOURCE, sharedDigital99Client } from './client.js';
import { NUMBER, NUMBER_COUNTERS, ONBOARDING, digital99Kinds } from './kinds.js';
import { type NumberPayload, type OnboardingPayload, listEnvelope, number, numbersTotals, onboarding } from './schemas.js';

export interface Digital99SourceDeps {
  readonly config: Digital99Config;
  readonly http: HttpConfig & { retryBaseMs?: number };
  readonly clock: Clock;
  readonly fingerprint: Fingerprint;
}

export function createDigital99Source(deps: Digital99SourceDeps): Source {
  const client = sharedDigital99Client({ ...deps.config, ...deps.http, clock: deps.clock }, deps.config);
  return {
    name: SOURCE,
    kinds: digital99Kinds(deps.config.tempNumberPrefix),
    supportsIncremental: false,
    pull: (ctx) => pullDigital99(client, deps.fingerprint, deps.config.shortList, ctx),
  };
}

async function pullDigital99(client: Digital99Client, fingerprint: Fingerprint, shortList: 'fail' | 'record', ctx: PullContext): Promise<PullResult> {
  client.beginPull();
  const hooks = { signal: ctx.signal, onAttempt: ctx.countApiCall, onRetry: ctx.countRetry };

  ctx.progress('reading onboardings (getAccounts)');
  const accounts = await client.get('getAccounts', hooks);
  const onboardings = readList('getAccounts', accounts, onboarding, 'onboarding_link');
  await ctx.stage(ONBOARDING, onboardings.map(onboardingRecord));
  ctx.progress(`${onboardings.length} onboardings; reading numbers (getWhatsApp)`);

  const whatsApp = await client.get('getWhatsApp', hooks);
  const numbers = readList('getWhatsApp', whatsApp, number, 'whatsapp');
  const totals = numbersTotals.safeParse(whatsApp);
  const stated = totals.success ? totals.data.totalWhatsApp : undefined;
  if (shortList === 'fail' && stated !== undefined && numbers.length < stated) {
    // Treating it as complete would report the missing numbers as removed (and re-added next time).
    throw new WabaSyncError(
      'INCONSISTENT',
      `${SOURCE} getWhatsApp: the list has ${numbers.length} numbers but totalWhatsApp says ${stated}: the answer looks cut short (set DIGITAL99_SHORT_LIST=record if 99digital's total legitimately counts more)`,
    );
  }
  await ctx.stage(NUMBER, numbers.map((item) => numberRecord(item, fingerprint)));
  await ctx.stage(NUMBER_COUNTERS, numbers.map(counterRecord));
  for (const finding of counterChecks(numbers, totals.success ? totals.data : {})) ctx.recordCheck(finding);
  ctx.progress(`${onboardings.length} onboardings, ${numbers.length} numbers`);

  return { coverage: { [ONBOARDING]: 'complete', [NUMBER]: 'complete', [NUMBER_COUNTERS]: 'complete' } };
}

function readList<T>(call: string, body: Record<string, unknown>, schema: import('zod').ZodType<T>, keyField: string): T[] {
  const envelope = listEnvelope.safeParse(body);
  if (!envelope.success) throw new PayloadError(SOURCE, call, 'field list: missing or not an array');
  const items: T[] = [];
  envelope.data.list.forEach((value, index) => {
    const parsed = parseItem(schema, value, { list: 'list', index, keyField });
    if (!parsed.ok) throw new PayloadError(SOURCE, call, parsed.message);
    items.push(parsed.value);
  });
  return items;
}

export function onboardingRecord(item: OnboardingPayload): StagedEntity {
  return {
    key: item.onboarding_link,
    data: {
      onboarding_link: item.onboarding_link,
      whatsapp: item.whatsapp,
      coexistence: item.coexistence,
      status: item.status,
      create_time: item.create_time ?? null,
      business_name: item.business_name,
      business_email: item.business_email,
      business_id: item.business_id,
      business_address: item.business_address,
      landing_page: item.landing_page,
      display_name: item.display_name,
      reference: item.reference,
    },
  };
}

export function numberRecord(item: NumberPayload, fingerprint: Fingerprint): StagedEntity {
  return {
    key: item.whatsapp,
    data: {
      whatsapp: item.whatsapp,
      display_name: item.display_name,
      business_name: item.business_name,
      coexistence: item.coexistence,
      create_time: item.create_time ?? null,
      isOnline: item.isOnline ?? null,
      onlineAccount: item.onlineAccount ?? null,
      onlineInbox: item.onlineInbox ?? null,
      apiKeyFingerprint: item.apiKey ? fingerprint(item.apiKey) : null,
    },
  };
}

function counterRecord(item: NumberPayload): StagedEntity {
  return {
    key: item.whatsapp,
    data: {
      conversationsThisMonth: item.conversationsThisMonth,
      marketingThisMonth: item.marketingThisMonth,
      serviceThisMonth: item.serviceThisMonth,
      incomingThisMonth: item.incomingThisMonth,
    },
  };
}

/** Pure: counters that don't add up, per number and against the top-level totals. */
export function counterChecks(numbers: readonly NumberPayload[], totals: Partial<Record<string, number>>): CheckFinding[] {
  const findings: CheckFinding[] = [];
  const sums = { conversations: 0, marketing: 0, service: 0, incoming: 0 };
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
    sums.conversations += n.conversationsThisMonth;
    sums.marketing += n.marketingThisMonth;
    sums.service += n.serviceThisMonth;
    sums.incoming += n.incomingThisMonth;
  }
  const pairs: [string, number | undefined, number][] = [
    ['totalWhatsApp', totals.totalWhatsApp, numbers.length],
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
