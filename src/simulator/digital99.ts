/**
 * A loopback fake of the 99digital partners API as documented (seeds 000–002): the one-hour
 * access token, getAccounts, getWhatsApp, getConversationsStatistics, `{status, reason}` answers, with a scriptable world
 * (add, finish, swap, delete, rotate, move counters) and fault injection. Seed 001's writes too:
 * createAccount and deleteAccount (src/simulator/digital99-onboarding.ts), so links created over
 * HTTP appear in getAccounts and can be finished by a script.
 */
import { randomBytes } from 'node:crypto';
import type { SimHandler, SimRequest, SimResponse } from './server.js';
import type { WebhookSender } from './webhooks.js';
import { type Rng, createRng } from './rng.js';
import { createAccount, deleteAccount } from './digital99-onboarding.js';

export interface SimOnboarding {
  create_time: number;
  whatsapp: string;
  coexistence: 0 | 1;
  business_name: string;
  business_email: string;
  business_id: string;
  business_address: string;
  landing_page: string;
  onboarding_link: string;
  display_name: string;
  reference: string;
  status: 0 | 1;
}

export interface SimNumber {
  create_time: number;
  whatsapp: string;
  apiKey: string;
  display_name: string;
  business_name: string;
  isOnline: 0 | 1;
  onlineAccount: number;
  onlineInbox: number;
  coexistence: 0 | 1;
  conversationsThisMonth: number;
  marketingThisMonth: number;
  serviceThisMonth: number;
  incomingThisMonth: number;
}

export type Digital99Call = 'accessToken' | 'getAccounts' | 'getWhatsApp' | 'getConversationsStatistics' | 'createAccount' | 'deleteAccount';

export type Digital99Fault = { call: Digital99Call | '*'; times?: number } & (
  | { kind: 'http'; status: number }
  | { kind: 'malformed' }
  /** `status`: how the answer spells FAIL (the docs also write "Fail"). */
  | { kind: 'reason'; reason: number; status?: string }
  | { kind: 'latency'; ms: number }
  /** Replaces one field of one list item (e.g. a status that can't be read). */
  | { kind: 'corrupt'; index: number; field: string; value: unknown }
  /** Answers OK without the list. */
  | { kind: 'drop_list' }
  /** Answers OK with only the first `keep` list items; the totals still count them all. */
  | { kind: 'truncate_list'; keep: number }
  /** Every issued token expires just before this call is answered. */
  | { kind: 'expire_tokens' }
);

export interface Digital99WorldOptions {
  clientId?: string;
  clientSecret?: string;
  now?: () => Date;
  tempPrefix?: string;
  tokenTtlSeconds?: number;
  /** Added to every answer. */
  latencyMs?: number;
  seed?: number;
  /** The provider's calendar, for "this month" in getConversationsStatistics (default Asia/Jerusalem). */
  timezone?: string;
}

/** One number's counters for one closed month, as getConversationsStatistics reports them. */
export interface SimMonthCounters {
  conversations: number;
  marketing: number;
  service: number;
  incoming: number;
}

export class Digital99World {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tempPrefix: string;
  tokenTtlSeconds: number;
  latencyMs: number;
  now: () => Date;
  readonly onboardings = new Map<string, SimOnboarding>();
  readonly numbers = new Map<string, SimNumber>();
  /** Closed months (mmyyyy) → per number counters, filled by resetCounters({closeMonth}). */
  readonly monthlyHistory = new Map<string, Map<string, SimMonthCounters>>();
  /**
   * Numbers registered and verified in the account (seed 001's step 1, a human step upstream):
   * createAccount accepts only these (or "1" for a coexistence link).
   */
  readonly registeredNumbers = new Set<string>();
  /** The JSON bodies createAccount received, in order (tests check what was sent). */
  readonly createRequests: Record<string, unknown>[] = [];
  readonly timezone: string;
  /** Requests received per call. */
  readonly calls: Record<string, number> = {};
  private readonly tokens = new Map<string, number>();
  private readonly faults: Required<Digital99Fault>[] = [];
  private readonly rng: Rng;
  private sequence = 0;

  constructor(options: Digital99WorldOptions = {}) {
    this.clientId = options.clientId ?? 'sim-client';
    this.clientSecret = options.clientSecret ?? 'sim-secret';
    this.now = options.now ?? (() => new Date());
    this.tempPrefix = options.tempPrefix ?? '97257';
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
    this.latencyMs = options.latencyMs ?? 0;
    this.rng = createRng(options.seed ?? 99);
    this.timezone = options.timezone ?? 'Asia/Jerusalem';
  }

  // ---- scripting the world ----

  addOnboarding(fields: Partial<SimOnboarding> & { coexistence?: 0 | 1 } = {}): SimOnboarding {
    const n = ++this.sequence;
    const coexistence = fields.coexistence ?? 0;
    const item: SimOnboarding = {
      create_time: Math.floor(this.now().getTime() / 1000),
      whatsapp: coexistence ? this.temporaryNumber() : this.realNumber(),
      coexistence,
      business_name: `Business ${n}`,
      business_email: `owner${n}@example.com`,
      business_id: String(1_000_000 + n),
      business_address: `${n} Grove Street, San Andreas`,
      landing_page: `https://landing.example/${n}`,
      onboarding_link: `https://onboarding.direct/${100_000 + n}`,
      display_name: `Brand ${n}`,
      reference: `ref-${n}`,
      status: 0,
      ...fields,
    };
    this.onboardings.set(item.onboarding_link, item);
    return item;
  }

  /**
   * The client finishes the onboarding: status 1; a coexistence onboarding's temporary number is
   * replaced by the real one; the number appears in getWhatsApp unless `addNumber` is false.
   */
  finishOnboarding(link: string, options: { realNumber?: string; addNumber?: boolean } = {}): SimOnboarding {
    const item = this.onboarding(link);
    item.status = 1;
    if (item.coexistence) item.whatsapp = options.realNumber ?? this.realNumber();
    if (options.addNumber !== false) {
      this.addNumber({ whatsapp: item.whatsapp, display_name: item.display_name, business_name: item.business_name, coexistence: item.coexistence });
    }
    // Undocumented shape (UPSTREAM.md §5): the intake reads any delivery as "pull now".
    this.webhooks?.send({ event: 'onboarding_completed', onboarding_link: item.onboarding_link, whatsapp: item.whatsapp });
    return item;
  }

  /** Where "the client completed the process" goes as the onboarding webhook; null: none sent. */
  webhooks: WebhookSender | null = null;
  /** Step 1 done by hand: the number may now get an onboarding link. */
  registerNumber(whatsapp: string): void {
    this.registeredNumbers.add(whatsapp);
  }

  /** The onboarding whose `whatsapp` is this number (the temporary one while a coexistence link is open). */
  onboardingOf(whatsapp: string): SimOnboarding | undefined {
    return [...this.onboardings.values()].find((item) => item.whatsapp === whatsapp);
  }

  /** Unfinished onboardings can be deleted; finished ones can't (as upstream). */
  deleteOnboarding(link: string): void {
    const item = this.onboarding(link);
    if (item.status === 1) throw new Error(`onboarding ${link} is finished and can't be deleted`);
    this.onboardings.delete(link);
  }

  addNumber(fields: Partial<SimNumber> = {}): SimNumber {
    const item: SimNumber = {
      create_time: Math.floor(this.now().getTime() / 1000),
      whatsapp: this.realNumber(),
      apiKey: newApiKey(),
      display_name: 'WhatsApp display name',
      business_name: 'Business name',
      isOnline: 1,
      onlineAccount: 1,
      onlineInbox: 1,
      coexistence: 0,
      conversationsThisMonth: 0,
      marketingThisMonth: 0,
      serviceThisMonth: 0,
      incomingThisMonth: 0,
      ...fields,
    };
    this.numbers.set(item.whatsapp, item);
    return item;
  }

  updateNumber(whatsapp: string, patch: Partial<SimNumber>): SimNumber {
    const item = this.number(whatsapp);
    Object.assign(item, patch);
    return item;
  }

  removeNumber(whatsapp: string): void {
    this.number(whatsapp);
    this.numbers.delete(whatsapp);
  }

  rotateApiKey(whatsapp: string): string {
    const item = this.number(whatsapp);
    item.apiKey = newApiKey();
    return item.apiKey;
  }

  /** Conversations happen: the category counters and the total move together. */
  addTraffic(whatsapp: string, traffic: { marketing?: number; service?: number; incoming?: number }): SimNumber {
    const item = this.number(whatsapp);
    const marketing = traffic.marketing ?? 0;
    const service = traffic.service ?? 0;
    const incoming = traffic.incoming ?? 0;
    item.marketingThisMonth += marketing;
    item.serviceThisMonth += service;
    item.incomingThisMonth += incoming;
    item.conversationsThisMonth += marketing + service + incoming;
    return item;
  }

  /**
   * A new calendar month: every counter starts again from zero. With `closeMonth` (mmyyyy) the
   * counters are first kept as that month's statistics (getConversationsStatistics).
   */
  resetCounters(options: { closeMonth?: string } = {}): void {
    if (options.closeMonth) {
      const month = new Map<string, SimMonthCounters>();
      for (const item of this.numbers.values()) month.set(item.whatsapp, countersOf(item));
      this.monthlyHistory.set(options.closeMonth, month);
    }
    for (const item of this.numbers.values()) {
      item.conversationsThisMonth = item.marketingThisMonth = item.serviceThisMonth = item.incomingThisMonth = 0;
    }
  }

  /** Every token issued so far, valid or not (tests check none of them is ever stored). */
  readonly issuedTokens: string[] = [];

  /** Every issued token stops working (the provider's side of "expired"). */
  expireTokens(): void {
    this.tokens.clear();
  }

  inject(fault: Digital99Fault): void {
    this.faults.push({ times: 1, ...fault } as Required<Digital99Fault>);
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Random traffic on some numbers, for demos and benchmarks. */
  randomTraffic(share: number): void {
    for (const item of this.numbers.values()) {
      if (this.rng.next() < share) {
        this.addTraffic(item.whatsapp, { marketing: this.rng.int(0, 3), service: this.rng.int(0, 3), incoming: this.rng.int(0, 2) });
      }
    }
  }

  onboarding(link: string): SimOnboarding {
    const item = this.onboardings.get(link);
    if (!item) throw new Error(`no onboarding ${link}`);
    return item;
  }

  number(whatsapp: string): SimNumber {
    const item = this.numbers.get(whatsapp);
    if (!item) throw new Error(`no number ${whatsapp}`);
    return item;
  }

  temporaryNumber(): string {
    return `${this.tempPrefix}${String(this.rng.int(0, 9_999_999)).padStart(7, '0')}`;
  }

  realNumber(): string {
    for (;;) {
      const candidate = `97250${String(this.rng.int(0, 9_999_999)).padStart(7, '0')}`;
      if (!this.numbers.has(candidate)) return candidate;
    }
  }

  // ---- the API ----

  readonly handler: SimHandler = (request) => this.answer(request);

  private answer(request: SimRequest): SimResponse {
    const call = callOf(request.path);
    if (!call) return { status: 404, body: { message: 'Not Found' }, delayMs: this.latencyMs };
    this.calls[call] = (this.calls[call] ?? 0) + 1;
    const fault = this.takeFault(call);
    const delayMs = this.latencyMs + (fault?.kind === 'latency' ? fault.ms : 0);
    const respond = (body: unknown): SimResponse => ({ status: 200, body, delayMs });
    if (fault?.kind === 'http') return { status: fault.status, body: { message: 'Server Error' }, delayMs };
    if (fault?.kind === 'reason') return respond({ status: fault.status ?? 'FAIL', reason: fault.reason });

    if (fault?.kind === 'expire_tokens') this.expireTokens();
    const expectedMethod = call === 'accessToken' || call === 'createAccount' ? 'POST' : call === 'deleteAccount' ? 'DELETE' : 'GET';
    if (request.method !== expectedMethod) return respond({ status: 'FAIL', reason: 13 });

    let body: Record<string, unknown>;
    if (call === 'accessToken') {
      body = this.issueToken(request.body);
    } else if (!this.authorized(request)) {
      body = { status: 'FAIL', reason: 3 };
    } else if (call === 'getConversationsStatistics') {
      body = this.statistics(request.query);
    } else if (call === 'createAccount') {
      body = createAccount(this, request.body);
    } else if (call === 'deleteAccount') {
      body = deleteAccount(this, request.body);
    } else if (call === 'getAccounts') {
      body = { status: 'OK', reason: 1, list: [...this.onboardings.values()].map((item) => ({ ...item })) };
    } else {
      body = this.whatsAppList();
    }
    if (fault?.kind === 'corrupt' && Array.isArray(body.list) && body.list[fault.index]) {
      (body.list[fault.index] as Record<string, unknown>)[fault.field] = fault.value;
    }
    if (fault?.kind === 'drop_list') delete body.list;
    if (fault?.kind === 'truncate_list' && Array.isArray(body.list)) body.list = body.list.slice(0, fault.keep);
    if (fault?.kind === 'malformed') {
      const text = JSON.stringify(body);
      return { status: 200, raw: text.slice(0, Math.max(1, Math.floor(text.length / 2))), delayMs };
    }
    return respond(body);
  }

  private issueToken(rawBody: string): Record<string, unknown> {
    let credentials: { client_id?: unknown; client_secret?: unknown };
    try {
      credentials = JSON.parse(rawBody) as typeof credentials;
    } catch {
      return { status: 'FAIL', reason: 2 };
    }
    if (credentials.client_id !== this.clientId || credentials.client_secret !== this.clientSecret) {
      return { status: 'FAIL', reason: 2 };
    }
    const token = randomBytes(24).toString('base64url');
    const expires = Math.floor(this.now().getTime() / 1000) + this.tokenTtlSeconds;
    this.tokens.set(token, expires * 1000);
    this.issuedTokens.push(token);
    return { status: 'OK', reason: 1, access_token: token, expiration_time: String(expires), token_type: 'Bearer' };
  }

  private authorized(request: SimRequest): boolean {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const expiresAt = this.tokens.get(token);
    return expiresAt !== undefined && expiresAt > this.now().getTime();
  }

  private whatsAppList(): Record<string, unknown> {
    const list = [...this.numbers.values()].map((item) => ({ ...item }));
    const sum = (field: keyof SimNumber) => list.reduce((total, item) => total + (item[field] as number), 0);
    return {
      status: 'OK',
      reason: 1,
      totalWhatsApp: list.length,
      totalConversationsThisMonth: sum('conversationsThisMonth'),
      totalMarketingThisMonth: sum('marketingThisMonth'),
      totalServiceThisMonth: sum('serviceThisMonth'),
      totalIncomingThisMonth: sum('incomingThisMonth'),
      list,
    };
  }

  /** Months from start_date to end_date (mmyyyy), closed ones from the history, this month live. */
  private statistics(query: URLSearchParams): Record<string, unknown> {
    const start = monthIndex(query.get('start_date'));
    const end = monthIndex(query.get('end_date'));
    if (start === null || end === null || end < start) return { status: 'FAIL', reason: 26 };
    const whatsapp = query.get('whatsapp');
    if (whatsapp && !this.numbers.has(whatsapp) && ![...this.monthlyHistory.values()].some((m) => m.has(whatsapp))) {
      return { status: 'FAIL', reason: 27 };
    }
    const current = this.currentMonth();
    const list: Record<string, unknown>[] = [];
    for (let index = Math.max(start, FIRST_STATISTICS_MONTH); index <= end; index++) {
      const key = mmyyyyOf(index);
      const month =
        this.monthlyHistory.get(key) ?? (key === current ? new Map([...this.numbers.values()].map((item) => [item.whatsapp, countersOf(item)])) : undefined);
      if (!month) continue;
      const items = [...month.entries()].filter(([number]) => !whatsapp || number === whatsapp).map(([, counters]) => counters);
      const sum = (field: keyof SimMonthCounters) => items.reduce((total, c) => total + c[field], 0);
      list.push({
        monthYear: key,
        totalConversations: sum('conversations'),
        totalMarketing: sum('marketing'),
        totalService: sum('service'),
        totalIncoming: sum('incoming'),
      });
    }
    return { status: 'OK', reason: 1, list };
  }

  /** mmyyyy of now() in the provider's calendar. */
  private currentMonth(): string {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: this.timezone, year: 'numeric', month: '2-digit' }).formatToParts(this.now());
    return `${parts.find((p) => p.type === 'month')!.value}${parts.find((p) => p.type === 'year')!.value}`;
  }

  private takeFault(call: Digital99Call): Required<Digital99Fault> | undefined {
    const index = this.faults.findIndex((fault) => fault.call === call || fault.call === '*');
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    fault.times -= 1;
    if (fault.times <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

function callOf(path: string): Digital99Call | undefined {
  switch (path) {
    case '/settings/accessToken':
      return 'accessToken';
    case '/whatsapp/getAccounts':
      return 'getAccounts';
    case '/whatsapp/getWhatsApp':
      return 'getWhatsApp';
    case '/whatsapp/getConversationsStatistics':
      return 'getConversationsStatistics';
    case '/whatsapp/createAccount':
      return 'createAccount';
    case '/whatsapp/deleteAccount':
      return 'deleteAccount';
    default:
      return undefined;
  }
}

function countersOf(item: SimNumber): SimMonthCounters {
  return { conversations: item.conversationsThisMonth, marketing: item.marketingThisMonth, service: item.serviceThisMonth, incoming: item.incomingThisMonth };
}

/** 99digital's statistics start in December 2024. */
const FIRST_STATISTICS_MONTH = 2024 * 12 + 11;

/** "102026" → a month index (year * 12 + month - 1), or null. */
function monthIndex(value: string | null): number | null {
  const match = value ? /^(0[1-9]|1[0-2])(\d{4})$/.exec(value) : null;
  return match ? Number(match[2]) * 12 + Number(match[1]) - 1 : null;
}

function mmyyyyOf(index: number): string {
  return `${String((index % 12) + 1).padStart(2, '0')}${Math.floor(index / 12)}`;
}

function newApiKey(): string {
  return `sk99_${randomBytes(18).toString('base64url')}`;
}

/** A deterministic fleet: `onboardings` links, of which `numbers` finished with a live number. */
export function seedDigital99(world: Digital99World, fleet: { onboardings: number; numbers: number; coexistenceShare?: number }): void {
  const rng = createRng(fleet.onboardings * 31 + fleet.numbers);
  for (let i = 0; i < fleet.onboardings; i++) {
    const coexistence = rng.next() < (fleet.coexistenceShare ?? 0.2) ? 1 : 0;
    const item = world.addOnboarding({ coexistence });
    if (i < fleet.numbers) {
      world.finishOnboarding(item.onboarding_link);
      world.addTraffic(item.whatsapp, { marketing: rng.int(0, 40), service: rng.int(0, 60), incoming: rng.int(0, 20) });
    }
  }
}
