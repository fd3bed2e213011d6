/**
 * A loopback fake of the Graph API as far as waba-sync uses it (UPSTREAM.md §1, seed 004): the
 * client and owned WABA edges with `fields`, `limit`, cursor paging with absolute `next` URLs,
 * `filtering` on creation_time and `sort`; `/{waba}/phone_numbers`, `/{waba}`, `debug_token`;
 * Bearer token check, Graph error envelopes, usage headers, throttling and 5xx injection; a
 * scripting API and per-endpoint call counters.
 *
 * Built for big fleets: client WABAs are kept sorted by (creation_time, id), a filter is a
 * contiguous range found by binary search, and a cursor names the last item it returned (so a
 * page costs O(log n + limit), and sharing or unsharing mid-walk shifts nothing).
 *
 * Field expansion: `fields=…,phone_numbers.limit(N){id,status,…}` on the WABA list edges (and on
 * `/{waba}`) nests each WABA's first N numbers as `{data, paging:{cursors, next?}}`, where `next`
 * is an absolute URL of `/{waba}/phone_numbers` (the nested fields and limit kept) — what Graph does.
 * A WABA without numbers has no `phone_numbers` key at all: Graph leaves empty edges out of an
 * expansion (`emptyEdges: 'empty'` answers `{data: []}` instead, to test that both are read alike).
 *
 * Assumptions where Graph is undocumented: without `sort` the edge lists newest first; GREATER_THAN
 * and LESS_THAN are strict and IN_RANGE is inclusive (`filterSemantics` changes that in tests);
 * `limit` above `maxLimit` is silently capped (nested `.limit(N)` too).
 */
import { randomBytes } from 'node:crypto';
import type { WebhookSender } from './webhooks.js';
import type { SimHandler, SimRequest, SimResponse } from './server.js';
import { type Rng, createRng } from './rng.js';

export interface SimBusinessInfo {
  id: string;
  name: string;
  status?: string;
  type?: string;
}

export interface SimWaba {
  id: string;
  name: string;
  currency: string;
  timezone_id: string;
  message_template_namespace: string;
  account_review_status: string;
  business_verification_status: string;
  ownership_type: string;
  creation_time: number;
  on_behalf_of_business_info: SimBusinessInfo;
  owner_business_info: SimBusinessInfo;
  status: string;
  whatsapp_business_manager_messaging_limit: string;
  health_status: { can_send_message: string };
}

export interface SimPhoneNumber {
  id: string;
  display_phone_number: string;
  verified_name: string;
  quality_rating: string;
  code_verification_status: string;
  name_status: string;
  platform_type: string;
  status: string;
  throughput: { level: string };
  is_on_biz_app: boolean;
  last_onboarded_time: string;
}

export type MetaCall = 'client_whatsapp_business_accounts' | 'owned_whatsapp_business_accounts' | 'phone_numbers' | 'waba' | 'debug_token';

export type MetaFault = {
  call: MetaCall | '*';
  /** Matching requests let through before this fault applies (e.g. 2 = the third page fails). */
  skip?: number;
  times?: number;
} & (
  | { kind: 'http'; status: number }
  | { kind: 'graph_error'; code: number; subcode?: number; message?: string; status?: number }
  /** A throttling error with usage headers at 100% and Meta's estimate of when access returns. */
  | { kind: 'throttle'; code?: number; regainMinutes?: number; status?: number }
  /** An empty page that still has `next` (pointing at the same place). */
  | { kind: 'empty_page' }
  /**
   * On a WABA list page: the nested `phone_numbers` of `wabaId` (of every WABA with numbers when
   * omitted) is an empty page whose `next` starts at its first number.
   */
  | { kind: 'empty_nested'; wabaId?: string }
  | { kind: 'malformed' }
  | { kind: 'latency'; ms: number }
  | { kind: 'corrupt'; index: number; field: string; value: unknown }
);

export type FilterSemantics = 'documented' | 'inclusive' | 'exclusive';

export interface MetaWorldOptions {
  accessToken?: string;
  businessId?: string;
  now?: () => Date;
  seed?: number;
  /** Largest page served; bigger `limit`s are capped silently. */
  maxLimit?: number;
  filterSemantics?: FilterSemantics;
  latencyMs?: number;
  /** How an expanded edge with nothing on it is answered: left out (Graph's way) or `{data: []}`. */
  emptyEdges?: 'omit' | 'empty';
}

/** A list request as seen by the fake: which chain, which page, how many items it returned. */
export interface ListRequestRecord {
  call: MetaCall;
  filtering: string | null;
  sort: string | null;
  after: string | null;
  returned: number;
  hasNext: boolean;
}

const WABA_FIELD_NAMES = new Set([
  'id',
  'name',
  'currency',
  'timezone_id',
  'message_template_namespace',
  'account_review_status',
  'business_verification_status',
  'ownership_type',
  'creation_time',
  'on_behalf_of_business_info',
  'owner_business_info',
  'status',
  'whatsapp_business_manager_messaging_limit',
  'health_status',
  'permitted_tasks',
]);
const WABA_DEFAULT_FIELDS = ['id', 'name', 'currency', 'timezone_id', 'message_template_namespace'];
const PHONE_FIELD_NAMES = new Set([
  'id',
  'display_phone_number',
  'verified_name',
  'quality_rating',
  'code_verification_status',
  'name_status',
  'platform_type',
  'status',
  'throughput',
  'is_on_biz_app',
  'last_onboarded_time',
]);
const PHONE_DEFAULT_FIELDS = ['id', 'display_phone_number', 'verified_name', 'quality_rating'];
const DEFAULT_LIMIT = 25;

/** WABAs ordered by (creation_time, id), with lookups by id. */
class SortedWabas {
  readonly items: SimWaba[] = [];
  readonly byId = new Map<string, SimWaba>();

  insert(waba: SimWaba): void {
    if (this.byId.has(waba.id)) throw new Error(`WABA ${waba.id} is already listed`);
    this.items.splice(this.lowerBound(waba.creation_time, waba.id), 0, waba);
    this.byId.set(waba.id, waba);
  }

  /** Many at once: one sort instead of n inserts. */
  load(wabas: readonly SimWaba[]): void {
    for (const waba of wabas) {
      if (this.byId.has(waba.id)) throw new Error(`WABA ${waba.id} is already listed`);
      this.byId.set(waba.id, waba);
      this.items.push(waba);
    }
    this.items.sort((a, b) => compareKey(a.creation_time, a.id, b.creation_time, b.id));
  }

  remove(id: string): SimWaba {
    const waba = this.byId.get(id);
    if (!waba) throw new Error(`no WABA ${id} in this list`);
    this.items.splice(this.lowerBound(waba.creation_time, waba.id), 1);
    this.byId.delete(id);
    return waba;
  }

  /** First index whose key is >= (time, id). */
  lowerBound(time: number, id: string): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const item = this.items[mid]!;
      if (compareKey(item.creation_time, item.id, time, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose key is > (time, id), whether or not that WABA is still listed. */
  upperBound(time: number, id: string): number {
    const index = this.lowerBound(time, id);
    const item = this.items[index];
    return item && item.creation_time === time && item.id === id ? index + 1 : index;
  }

  /** First index whose creation_time is > time (after = true) or >= time. */
  timeBound(time: number, after: boolean): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.items[mid]!.creation_time;
      if (t < time || (after && t === time)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function compareKey(timeA: number, idA: string, timeB: number, idB: string): number {
  if (timeA !== timeB) return timeA - timeB;
  if (idA.length !== idB.length) return idA.length - idB.length;
  return idA < idB ? -1 : idA > idB ? 1 : 0;
}

class GraphFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly subcode?: number,
    readonly type = 'OAuthException',
  ) {
    super(message);
  }
}

interface SignupToken {
  wabaIds: string[];
  valid: boolean;
  expiresAt: number;
}

export class MetaWorld {
  readonly accessToken: string;
  readonly businessId: string;
  now: () => Date;
  maxLimit: number;
  filterSemantics: FilterSemantics;
  latencyMs: number;
  emptyEdges: 'omit' | 'empty';
  /** Usage percentages reported in the headers of every answer. */
  usage = { app: 1, business: 1, regainMinutes: 0 };
  readonly clients = new SortedWabas();
  readonly owned = new SortedWabas();
  /** Phone numbers per WABA id, in the order added. */
  readonly phoneNumbers = new Map<string, SimPhoneNumber[]>();
  private readonly phoneOwner = new Map<string, string>();
  /** Requests received per endpoint. */
  readonly calls: Record<MetaCall, number> = {
    client_whatsapp_business_accounts: 0,
    owned_whatsapp_business_accounts: 0,
    phone_numbers: 0,
    waba: 0,
    debug_token: 0,
  };
  /** `/{waba}/phone_numbers` requests received, per WABA id (numbers nested in a list page don't count). */
  readonly phoneNumberCalls = new Map<string, number>();
  /** Every WABA list request (client and owned edges), in arrival order. */
  readonly listRequests: ListRequestRecord[] = [];
  private systemTokenValid = true;
  private readonly signupTokens = new Map<string, SignupToken>();
  private readonly faults: (MetaFault & { skip: number; times: number })[] = [];
  private readonly rng: Rng;
  private sequence = 0;

  constructor(options: MetaWorldOptions = {}) {
    this.accessToken = options.accessToken ?? `EAAsim${randomBytes(12).toString('hex')}`;
    this.businessId = options.businessId ?? '805021500648488';
    this.now = options.now ?? (() => new Date());
    this.maxLimit = options.maxLimit ?? 100;
    this.filterSemantics = options.filterSemantics ?? 'documented';
    this.latencyMs = options.latencyMs ?? 0;
    this.emptyEdges = options.emptyEdges ?? 'omit';
    this.rng = createRng(options.seed ?? 25);
  }

  // ---- scripting the world ----

  /** A WABA is shared with the partner (new, or created long ago when `creation_time` is given). */
  shareWaba(fields: Partial<SimWaba> = {}): SimWaba {
    const waba = this.newWaba(fields);
    this.clients.insert(waba);
    this.partnerEvent('PARTNER_ADDED', waba.id);
    return waba;
  }

  unshareWaba(id: string): void {
    this.clients.remove(id);
    this.phoneNumbers.delete(id);
    this.partnerEvent('PARTNER_REMOVED', id);
  }

  // ---- webhooks (set `webhooks` to send them; see webhooks.ts) ----

  /** Where the world's changes go as Meta's webhooks; null: none sent. */
  webhooks: WebhookSender | null = null;

  /** Sends one change in Meta's envelope (entry `entryId`). */
  notify(entryId: string, field: string, value: Record<string, unknown>): void {
    this.webhooks?.send({ object: 'whatsapp_business_account', entry: [{ id: entryId, time: Math.floor(this.now().getTime() / 1000), changes: [{ field, value }] }] });
  }

  /** An `account_update` only a webhook tells (ACCOUNT_VIOLATION, DISABLED_UPDATE, …), on the WABA's entry. */
  accountUpdate(wabaId: string, event: string, details: Record<string, unknown> = {}): void {
    this.notify(wabaId, 'account_update', { event, ...details });
  }

  /** PARTNER_* events name the WABA in waba_info; the entry is the partner's business. */
  private partnerEvent(event: string, wabaId: string): void {
    this.notify(this.businessId, 'account_update', {
      event,
      waba_info: { waba_id: wabaId, owner_business_id: '1000000000001', partner_app_id: '2000000000002', solution_id: null, solution_partner_business_ids: [this.businessId] },
    });
  }

  addOwnedWaba(fields: Partial<SimWaba> = {}): SimWaba {
    const waba = this.newWaba({ ownership_type: 'SELF', ...fields });
    this.owned.insert(waba);
    return waba;
  }

  removeOwnedWaba(id: string): void {
    this.owned.remove(id);
  }

  waba(id: string): SimWaba {
    const waba = this.clients.byId.get(id) ?? this.owned.byId.get(id);
    if (!waba) throw new Error(`no WABA ${id}`);
    return waba;
  }

  /** Changes fields of a WABA; creation_time never changes. */
  updateWaba(id: string, patch: Partial<Omit<SimWaba, 'id' | 'creation_time'>>): SimWaba {
    return Object.assign(this.waba(id), patch);
  }

  setReviewStatus(id: string, status: 'APPROVED' | 'PENDING' | 'REJECTED' | 'DEFERRED'): SimWaba {
    const waba = this.updateWaba(id, { account_review_status: status });
    this.notify(id, 'account_review_update', { decision: status });
    return waba;
  }

  addPhoneNumber(wabaId: string, fields: Partial<SimPhoneNumber> = {}): SimPhoneNumber {
    this.waba(wabaId);
    const n = ++this.sequence;
    const phone: SimPhoneNumber = {
      id: String(106_000_000_000_000 + n),
      display_phone_number: `+1 555-${String(this.rng.int(100, 999))}-${String(n % 10_000).padStart(4, '0')}`,
      verified_name: `Brand ${n}`,
      quality_rating: 'GREEN',
      code_verification_status: 'VERIFIED',
      name_status: 'APPROVED',
      platform_type: 'CLOUD_API',
      status: 'CONNECTED',
      throughput: { level: 'STANDARD' },
      is_on_biz_app: false,
      last_onboarded_time: this.now().toISOString().replace(/\.\d+Z$/, '+0000'),
      ...fields,
    };
    if (this.phoneOwner.has(phone.id)) throw new Error(`phone number ${phone.id} exists`);
    const list = this.phoneNumbers.get(wabaId) ?? [];
    list.push(phone);
    this.phoneNumbers.set(wabaId, list);
    this.phoneOwner.set(phone.id, wabaId);
    return phone;
  }

  phoneNumber(id: string): SimPhoneNumber {
    const wabaId = this.phoneOwner.get(id);
    const phone = wabaId && this.phoneNumbers.get(wabaId)?.find((p) => p.id === id);
    if (!phone) throw new Error(`no phone number ${id}`);
    return phone;
  }

  updatePhoneNumber(id: string, patch: Partial<Omit<SimPhoneNumber, 'id'>>): SimPhoneNumber {
    const before = { ...this.phoneNumber(id) };
    const phone = Object.assign(this.phoneNumber(id), patch);
    const wabaId = this.phoneOwner.get(id)!;
    // The quality webhook carries no rating (UPSTREAM.md §5): only that something moved.
    if (patch.quality_rating !== undefined && patch.quality_rating !== before.quality_rating) {
      const rank = (rating: string) => ['RED', 'YELLOW', 'GREEN'].indexOf(rating);
      const event = patch.quality_rating === 'RED' ? 'FLAGGED' : rank(patch.quality_rating) > rank(before.quality_rating) ? 'UNFLAGGED' : 'DOWNGRADE';
      this.notify(wabaId, 'phone_number_quality_update', { display_phone_number: phone.display_phone_number, event, current_limit: 'TIER_1K' });
    }
    if (patch.verified_name !== undefined && patch.verified_name !== before.verified_name) {
      this.notify(wabaId, 'phone_number_name_update', { display_phone_number: phone.display_phone_number, decision: 'APPROVED', requested_verified_name: patch.verified_name, rejection_reason: null });
    }
    return phone;
  }

  removePhoneNumber(id: string): void {
    const wabaId = this.phoneOwner.get(id);
    const list = wabaId ? this.phoneNumbers.get(wabaId) : undefined;
    if (!wabaId || !list) throw new Error(`no phone number ${id}`);
    list.splice(list.findIndex((p) => p.id === id), 1);
    this.phoneOwner.delete(id);
  }

  /** An Embedded Signup token granting these WABAs (give them newest first, as Meta lists them). */
  issueSignupToken(wabaIds: readonly string[], options: { valid?: boolean; expiresAt?: number } = {}): string {
    const token = `EAAsignup${randomBytes(10).toString('hex')}`;
    this.signupTokens.set(token, {
      wabaIds: [...wabaIds],
      valid: options.valid ?? true,
      expiresAt: options.expiresAt ?? Math.floor(this.now().getTime() / 1000) + 60 * 86_400,
    });
    return token;
  }

  /** The system user token stops working (error 190). */
  expireToken(): void {
    this.systemTokenValid = false;
  }

  inject(fault: MetaFault): void {
    this.faults.push({ ...fault, skip: fault.skip ?? 0, times: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Bulk-loads client WABAs (one sort), for big fleets. */
  loadClientWabas(list: readonly Partial<SimWaba>[]): SimWaba[] {
    const wabas = list.map((fields) => this.newWaba(fields));
    this.clients.load(wabas);
    return wabas;
  }

  private newWaba(fields: Partial<SimWaba>): SimWaba {
    const n = ++this.sequence;
    return {
      id: String(100_000_000_000_000 + n),
      name: `WhatsApp Business ${n}`,
      currency: 'USD',
      timezone_id: '1',
      message_template_namespace: `ns_${n.toString(36)}_${this.rng.int(1000, 9999)}`,
      account_review_status: 'PENDING',
      business_verification_status: 'not_verified',
      ownership_type: 'CLIENT_OWNED',
      creation_time: Math.floor(this.now().getTime() / 1000),
      on_behalf_of_business_info: { id: String(500_000_000_000_000 + n), name: `Business ${n}`, status: 'active', type: 'SELF' },
      owner_business_info: { id: String(500_000_000_000_000 + n), name: `Business ${n}` },
      status: 'ACTIVE',
      whatsapp_business_manager_messaging_limit: 'TIER_250',
      health_status: { can_send_message: 'AVAILABLE' },
      ...fields,
    };
  }

  // ---- the API ----

  readonly handler: SimHandler = (request) => this.answer(request);

  private answer(request: SimRequest): SimResponse {
    const match = /^\/(v\d+\.\d+)\/(.+?)\/?$/.exec(request.path);
    const segments = match ? match[2]!.split('/') : [];
    const call = callOf(segments, this.businessId);
    const delayMs = this.latencyMs;
    const headers = this.usageHeaders(segments[0] ?? this.businessId);
    if (!match || !call) {
      return graphError(new GraphFailure(400, 2500, 'Unknown path components', undefined, 'OAuthException'), headers, delayMs);
    }
    this.calls[call] += 1;
    if (call === 'phone_numbers') this.phoneNumberCalls.set(segments[0]!, (this.phoneNumberCalls.get(segments[0]!) ?? 0) + 1);
    const fault = this.takeFault(call);
    const wait = delayMs + (fault?.kind === 'latency' ? fault.ms : 0);
    try {
      if (fault?.kind === 'http') {
        return { status: fault.status, raw: '<html><body>Service Unavailable</body></html>', headers: { ...headers, 'content-type': 'text/html' }, delayMs: wait };
      }
      this.authorize(request);
      if (fault?.kind === 'graph_error') {
        throw new GraphFailure(fault.status ?? 400, fault.code, fault.message ?? `(#${fault.code}) Simulated Graph error`, fault.subcode);
      }
      if (fault?.kind === 'throttle') {
        const regain = fault.regainMinutes ?? 0;
        const throttled = this.usageHeaders(segments[0]!, { percent: 100, regainMinutes: regain });
        const code = fault.code ?? 80008;
        return graphError(new GraphFailure(fault.status ?? 400, code, `(#${code}) There have been too many calls to this WhatsApp Business account. Wait a bit and try again.`, undefined, 'OAuthException'), throttled, wait);
      }
      let body = this.route(call, segments, request, match[1]!, fault);
      if (fault?.kind === 'corrupt' && body && typeof body === 'object' && Array.isArray((body as { data?: unknown }).data)) {
        const item = (body as { data: Record<string, unknown>[] }).data[fault.index];
        if (item) item[fault.field] = fault.value;
      }
      if (fault?.kind === 'malformed') {
        const text = JSON.stringify(body);
        return { status: 200, raw: text.slice(0, Math.max(1, Math.floor(text.length / 2))), headers, delayMs: wait };
      }
      body ??= null;
      return { status: 200, body, headers, delayMs: wait };
    } catch (error) {
      if (error instanceof GraphFailure) return graphError(error, headers, wait);
      throw error;
    }
  }

  private authorize(request: SimRequest): void {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : (request.query.get('access_token') ?? '');
    if (!token) throw new GraphFailure(400, 104, 'An access token is required to request this resource.');
    if (token !== this.accessToken) throw new GraphFailure(400, 190, 'Invalid OAuth access token - Cannot parse access token');
    if (!this.systemTokenValid) {
      throw new GraphFailure(400, 190, 'Error validating access token: Session has expired on Sunday, 01-Nov-26 08:00:00 PST.', 463);
    }
  }

  private route(call: MetaCall, segments: string[], request: SimRequest, version: string, fault: MetaFault | undefined): unknown {
    switch (call) {
      case 'debug_token':
        return this.debugToken(request.query.get('input_token'));
      case 'client_whatsapp_business_accounts':
      case 'owned_whatsapp_business_accounts':
        return this.wabaList(call, request, version, fault);
      case 'phone_numbers':
        return this.phoneList(segments[0]!, request, version, fault?.kind === 'empty_page');
      case 'waba': {
        const waba = this.clients.byId.get(segments[0]!) ?? this.owned.byId.get(segments[0]!);
        if (!waba) {
          throw new GraphFailure(400, 100, `Unsupported get request. Object with ID '${segments[0]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, 33, 'GraphMethodException');
        }
        return this.wabaNode(waba, wabaSelection(request, this.maxLimit), request, version, undefined);
      }
    }
  }

  private wabaList(call: MetaCall, request: SimRequest, version: string, fault: MetaFault | undefined): unknown {
    const empty = fault?.kind === 'empty_page';
    const list = call === 'client_whatsapp_business_accounts' ? this.clients : this.owned;
    const selection = wabaSelection(request, this.maxLimit);
    const limit = this.limitOf(request);
    const sort = request.query.get('sort');
    if (sort !== null && sort !== 'creation_time_ascending' && sort !== 'creation_time_descending') {
      throw new GraphFailure(400, 100, `(#100) sort must be one of the following values: creation_time_ascending, creation_time_descending`, undefined, 'OAuthException');
    }
    const ascending = sort === 'creation_time_ascending';
    const [lo, hi] = this.filterRange(list, request.query.get('filtering'));
    const after = request.query.get('after');
    const cursor = after ? decodeCursor(after) : null;
    const record: ListRequestRecord = { call, filtering: request.query.get('filtering'), sort, after, returned: 0, hasNext: false };
    this.listRequests.push(record);

    if (empty) {
      record.hasNext = true;
      // An empty page whose next continues from the same place (a new cursor string, same position).
      return this.pageBody(request, version, [], true, { ...(cursor ?? { fromStart: true }), n: randomBytes(3).toString('hex') });
    }
    let page: SimWaba[];
    let hasNext: boolean;
    if (ascending) {
      const start = cursor ? Math.max(lo, list.upperBound(cursor.t, cursor.i)) : lo;
      const end = Math.min(hi, start + limit);
      page = list.items.slice(start, Math.max(start, end));
      hasNext = end < hi;
    } else {
      // Newest first: walk down from the top of the range.
      const top = cursor ? Math.min(hi, list.lowerBound(cursor.t, cursor.i)) : hi;
      const bottom = Math.max(lo, top - limit);
      page = list.items.slice(bottom, Math.max(bottom, top)).reverse();
      hasNext = bottom > lo;
    }
    record.returned = page.length;
    record.hasNext = hasNext;
    const last = page.at(-1);
    const data = page.map((waba) => this.wabaNode(waba, selection, request, version, fault));
    return this.pageBody(request, version, data, hasNext, last ? { t: last.creation_time, i: last.id } : null);
  }

  /** One WABA with the fields asked, and its first phone numbers nested when the edge is expanded. */
  private wabaNode(waba: SimWaba, selection: WabaSelection, request: SimRequest, version: string, fault: MetaFault | undefined): Record<string, unknown> {
    const node = pick(waba, selection.fields);
    if (!selection.phones) return node;
    const { fields, limit } = selection.phones;
    const all = this.phoneNumbers.get(waba.id) ?? [];
    const emptyNested = fault?.kind === 'empty_nested' && (fault.wabaId === undefined || fault.wabaId === waba.id) && all.length > 0;
    const page = emptyNested ? [] : all.slice(0, limit);
    if (all.length === 0 && this.emptyEdges === 'omit') return node;
    const hasNext = emptyNested || all.length > limit;
    const after = emptyNested ? { o: 0, n: randomBytes(3).toString('hex') } : page.length > 0 ? { o: page.length } : null;
    const nested: Record<string, unknown> = { data: page.map((phone) => pick(phone, fields)) };
    if (after) {
      const cursor = encodeCursor(after);
      const paging: Record<string, unknown> = { cursors: { before: encodeCursor({ before: true, o: 0 }), after: cursor } };
      if (hasNext) {
        const params = new URLSearchParams({ fields: fields.join(','), limit: String(limit), after: cursor });
        paging.next = `${request.baseUrl}/${version}/${waba.id}/phone_numbers?${params.toString()}`;
      }
      nested.paging = paging;
    }
    node.phone_numbers = nested;
    return node;
  }

  private phoneList(wabaId: string, request: SimRequest, version: string, empty: boolean): unknown {
    if (!this.clients.byId.has(wabaId) && !this.owned.byId.has(wabaId)) {
      throw new GraphFailure(400, 100, `Unsupported get request. Object with ID '${wabaId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, 33, 'GraphMethodException');
    }
    const fields = requestedFields(request, PHONE_FIELD_NAMES, PHONE_DEFAULT_FIELDS, 'WhatsAppBusinessPhoneNumber');
    const all = this.phoneNumbers.get(wabaId) ?? [];
    const limit = this.limitOf(request);
    const after = request.query.get('after');
    const start = after ? Number(decodeCursor(after)?.o ?? 0) : 0;
    if (empty) return this.pageBody(request, version, [], true, { o: start, n: randomBytes(3).toString('hex') });
    const page = all.slice(start, start + limit);
    const hasNext = start + limit < all.length;
    return this.pageBody(request, version, page.map((phone) => pick(phone, fields)), hasNext, page.length > 0 ? { o: start + page.length } : null);
  }

  /** `{data, paging}`; `afterCursor` names where the next page starts (null: no paging at all). */
  private pageBody(request: SimRequest, version: string, data: unknown[], hasNext: boolean, afterCursor: Record<string, unknown> | null): unknown {
    const paging: Record<string, unknown> = {};
    if (afterCursor) {
      const after = encodeCursor(afterCursor);
      paging.cursors = { before: encodeCursor({ before: true, ...afterCursor }), after };
      if (hasNext) {
        const params = new URLSearchParams(request.query);
        params.delete('after');
        params.delete('before');
        params.set('after', after);
        paging.next = `${request.baseUrl}/${version}${request.path.slice(version.length + 1)}?${params.toString()}`;
      }
    }
    return Object.keys(paging).length > 0 ? { data, paging } : { data };
  }

  private limitOf(request: SimRequest): number {
    const raw = request.query.get('limit');
    if (raw === null) return DEFAULT_LIMIT;
    const limit = Number(raw);
    if (!Number.isInteger(limit) || limit < 1) throw new GraphFailure(400, 100, '(#100) Param limit must be a positive integer', undefined, 'OAuthException');
    return Math.min(limit, this.maxLimit);
  }

  /** `filtering` → the index range [lo, hi) of the sorted list it selects. */
  private filterRange(list: SortedWabas, raw: string | null): [number, number] {
    let lo = 0;
    let hi = list.items.length;
    if (raw === null) return [lo, hi];
    let filters: unknown;
    try {
      filters = JSON.parse(raw);
    } catch {
      throw new GraphFailure(400, 100, '(#100) param filtering must be a JSON array', undefined, 'OAuthException');
    }
    if (!Array.isArray(filters)) throw new GraphFailure(400, 100, '(#100) param filtering must be an array', undefined, 'OAuthException');
    const strictEnds = this.filterSemantics === 'exclusive';
    const inclusiveEnds = this.filterSemantics === 'inclusive';
    for (const filter of filters as { field?: unknown; operator?: unknown; value?: unknown }[]) {
      if (filter?.field !== 'creation_time') throw new GraphFailure(400, 100, '(#100) filtering field must be creation_time', undefined, 'OAuthException');
      const number = (value: unknown) => {
        const n = Number(value);
        if (value === null || value === '' || !Number.isFinite(n)) {
          throw new GraphFailure(400, 100, '(#100) filtering value must be a unix timestamp', undefined, 'OAuthException');
        }
        return n;
      };
      switch (filter.operator) {
        case 'GREATER_THAN':
          lo = Math.max(lo, list.timeBound(number(filter.value), !inclusiveEnds));
          break;
        case 'LESS_THAN':
          hi = Math.min(hi, list.timeBound(number(filter.value), inclusiveEnds));
          break;
        case 'IN_RANGE': {
          if (!Array.isArray(filter.value) || filter.value.length !== 2) {
            throw new GraphFailure(400, 100, '(#100) IN_RANGE needs [from, to]', undefined, 'OAuthException');
          }
          lo = Math.max(lo, list.timeBound(number(filter.value[0]), strictEnds));
          hi = Math.min(hi, list.timeBound(number(filter.value[1]), !strictEnds));
          break;
        }
        default:
          throw new GraphFailure(400, 100, '(#100) filtering operator must be GREATER_THAN, LESS_THAN or IN_RANGE', undefined, 'OAuthException');
      }
    }
    return [lo, Math.max(lo, hi)];
  }

  private debugToken(input: string | null): unknown {
    const token = input ? this.signupTokens.get(input) : undefined;
    if (!token) {
      return { data: { is_valid: false, scopes: [], granular_scopes: [], error: { code: 190, message: 'Invalid OAuth access token.' } } };
    }
    return {
      data: {
        app_id: '670843887433847',
        type: 'USER',
        application: 'waba-sync simulator',
        data_access_expires_at: token.expiresAt + 30 * 86_400,
        expires_at: token.expiresAt,
        is_valid: token.valid && token.expiresAt * 1000 > this.now().getTime(),
        scopes: ['whatsapp_business_management', 'whatsapp_business_messaging', 'public_profile'],
        granular_scopes: [
          { scope: 'whatsapp_business_management', target_ids: token.wabaIds },
          { scope: 'whatsapp_business_messaging', target_ids: token.wabaIds },
        ],
        user_id: '10222270944537964',
      },
    };
  }

  private usageHeaders(objectId: string, override?: { percent: number; regainMinutes: number }): Record<string, string> {
    const app = override?.percent ?? this.usage.app;
    const business = override?.percent ?? this.usage.business;
    const regain = override?.regainMinutes ?? this.usage.regainMinutes;
    return {
      'x-app-usage': JSON.stringify({ call_count: app, total_cputime: Math.floor(app / 2), total_time: Math.floor(app / 2) }),
      'x-business-use-case-usage': JSON.stringify({
        [objectId]: [
          { type: 'whatsapp_business_management', call_count: business, total_cputime: Math.floor(business / 2), total_time: Math.floor(business / 2), estimated_time_to_regain_access: regain },
        ],
      }),
    };
  }

  private takeFault(call: MetaCall): MetaFault | undefined {
    const index = this.faults.findIndex((fault) => fault.call === call || fault.call === '*');
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    if (fault.skip > 0) {
      fault.skip -= 1;
      return undefined;
    }
    fault.times -= 1;
    if (fault.times <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

function callOf(segments: string[], businessId: string): MetaCall | undefined {
  if (segments.length === 1 && segments[0] === 'debug_token') return 'debug_token';
  if (segments.length === 1 && /^\d+$/.test(segments[0]!)) return 'waba';
  if (segments.length === 2 && segments[1] === 'phone_numbers') return 'phone_numbers';
  if (segments.length === 2 && segments[0] === businessId) {
    if (segments[1] === 'client_whatsapp_business_accounts') return 'client_whatsapp_business_accounts';
    if (segments[1] === 'owned_whatsapp_business_accounts') return 'owned_whatsapp_business_accounts';
  }
  return undefined;
}

/** One entry of a `fields` parameter: `name`, `name.limit(N)`, `name{sub,fields}` or both. */
interface FieldSpec {
  name: string;
  limit: number | null;
  sub: FieldSpec[] | null;
}

/** Parses `a,b{x,y},edge.limit(5){id,status}`; anything else is Graph's error 100. */
export function parseFieldList(raw: string): FieldSpec[] {
  let at = 0;
  const fail = (why: string): never => {
    throw new GraphFailure(400, 100, `(#100) Syntax error in fields: ${why} at character ${at}`, undefined, 'OAuthException');
  };
  const list = (): FieldSpec[] => {
    const specs: FieldSpec[] = [];
    for (;;) {
      const name = /^\s*([a-z_][a-z0-9_]*)\s*/i.exec(raw.slice(at));
      if (!name) fail('expected a field name');
      at += name![0].length;
      const spec: FieldSpec = { name: name![1]!, limit: null, sub: null };
      while (raw[at] === '.') {
        const modifier = /^\.([a-z_]+)\(([^)]*)\)\s*/i.exec(raw.slice(at));
        if (modifier?.[1] !== 'limit') fail('unsupported modifier');
        const limit = Number(modifier![2]);
        if (!Number.isInteger(limit) || limit < 1) fail('limit must be a positive integer');
        spec.limit = limit;
        at += modifier![0].length;
      }
      if (raw[at] === '{') {
        at += 1;
        spec.sub = list();
        if (raw[at] !== '}') fail("expected '}'");
        at += 1;
        while (raw[at] === ' ') at += 1;
      }
      specs.push(spec);
      if (raw[at] !== ',') return specs;
      at += 1;
    }
  };
  const specs = list();
  if (at < raw.length) fail('unexpected character');
  return specs;
}

function checkFields(specs: readonly FieldSpec[], known: ReadonlySet<string>, node: string): string[] {
  const names = specs.map((spec) => spec.name);
  for (const name of names) {
    if (!known.has(name)) throw new GraphFailure(400, 100, `(#100) Tried accessing nonexisting field (${name}) on node type (${node})`, undefined, 'OAuthException');
  }
  return names.includes('id') ? names : ['id', ...names];
}

/** `fields=a,b{x,y},c` → [a, b, c]; unknown fields are an error, as on Graph. */
function requestedFields(request: SimRequest, known: ReadonlySet<string>, defaults: string[], node: string): string[] {
  const raw = request.query.get('fields');
  if (raw === null || raw.trim() === '') return defaults;
  return checkFields(parseFieldList(raw), known, node);
}

interface WabaSelection {
  fields: string[];
  /** The expanded phone_numbers edge, when asked. */
  phones: { fields: string[]; limit: number } | null;
}

function wabaSelection(request: SimRequest, maxLimit: number): WabaSelection {
  const raw = request.query.get('fields');
  if (raw === null || raw.trim() === '') return { fields: WABA_DEFAULT_FIELDS, phones: null };
  const specs = parseFieldList(raw);
  const edge = specs.find((spec) => spec.name === 'phone_numbers');
  const fields = checkFields(specs.filter((spec) => spec !== edge), WABA_FIELD_NAMES, 'WhatsAppBusinessAccount');
  if (!edge) return { fields, phones: null };
  const phoneFields = edge.sub ? checkFields(edge.sub, PHONE_FIELD_NAMES, 'WhatsAppBusinessPhoneNumber') : PHONE_DEFAULT_FIELDS;
  return { fields, phones: { fields: phoneFields, limit: Math.min(edge.limit ?? DEFAULT_LIMIT, maxLimit) } };
}

function pick<T extends object>(item: T, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = (item as Record<string, unknown>)[field];
    if (value !== undefined) out[field] = typeof value === 'object' && value !== null ? copyJson(value) : value;
  }
  return out;
}

/**
 * A copy of a plain JSON value (the fleet's nested objects): the answer must not share them with
 * the world. structuredClone did the same at several times the cost, and the benchmark's fake must
 * not be what a pull waits on.
 */
function copyJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyJson);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copyJson((value as Record<string, unknown>)[key]);
  return out;
}

function graphError(error: GraphFailure, headers: Record<string, string>, delayMs: number): SimResponse {
  return {
    status: error.status,
    headers: { ...headers, 'www-authenticate': error.code === 190 ? 'OAuth "Facebook Platform" "invalid_token"' : 'OAuth "Facebook Platform"' },
    body: {
      error: {
        message: error.message,
        type: error.type,
        code: error.code,
        ...(error.subcode !== undefined ? { error_subcode: error.subcode } : {}),
        fbtrace_id: `A${randomBytes(8).toString('base64url')}`,
      },
    },
    delayMs,
  };
}

interface Cursor {
  t: number;
  i: string;
  o?: number;
  /** An empty first page's cursor: the next page starts at the beginning. */
  fromStart?: boolean;
}

function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeCursor(value: string): Cursor | null {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Cursor;
    return parsed.fromStart ? null : parsed;
  } catch {
    throw new GraphFailure(400, 100, '(#100) Invalid cursor', undefined, 'OAuthException');
  }
}

/**
 * A deterministic fleet: `wabas` client WABAs with creation_times spread over the last years
 * (`duplicateShare` of them sharing a second with a neighbour), `phonesPerWaba` numbers each, and
 * `owned` owned WABAs. Built in one sort, fast enough for 100,000 WABAs.
 */
export function seedMetaFleet(
  world: MetaWorld,
  fleet: { wabas: number; phonesPerWaba?: number; owned?: number; duplicateShare?: number; spanSeconds?: number },
): SimWaba[] {
  const rng = createRng(fleet.wabas * 17 + (fleet.phonesPerWaba ?? 1));
  const end = Math.floor(world.now().getTime() / 1000) - 86_400;
  const span = fleet.spanSeconds ?? 5 * 365 * 86_400;
  const times: number[] = [];
  for (let i = 0; i < fleet.wabas; i++) {
    const duplicate = i > 0 && rng.next() < (fleet.duplicateShare ?? 0.05);
    times.push(duplicate ? times[i - 1]! : end - rng.int(0, span));
  }
  const wabas = world.loadClientWabas(
    times.map((creation_time, i) => ({ creation_time, account_review_status: i % 10 === 0 ? 'PENDING' : 'APPROVED' })),
  );
  for (const waba of wabas) for (let p = 0; p < (fleet.phonesPerWaba ?? 1); p++) world.addPhoneNumber(waba.id);
  for (let i = 0; i < (fleet.owned ?? 0); i++) world.addOwnedWaba({ creation_time: end - rng.int(0, span) });
  return wabas;
}
