/**
 * A loopback fake of 360dialog's Partner API v2 (UPSTREAM.md §2, seed 003): the partner's clients
 * and channels behind `X-API-Key`, in the paging envelope `{count, filters, sort, limit, offset,
 * total, clients|partner_channels}` with `limit`/`offset`/`sort` (repeatable, `-` for descending)
 * and `filters` (JSON, equality). A scriptable world (add/remove clients and channels, move a
 * channel's status, quality, tier, availability), faults (HTTP statuses, 429 with Retry-After,
 * malformed bodies and envelopes) and a hook that runs as each page request arrives, so a test can
 * change the fleet between the pages of one sweep.
 */
import { performance } from 'node:perf_hooks';
import type { SimHandler, SimRequest, SimResponse } from './server.js';
import type { WebhookSender } from './webhooks.js';
import { type Rng, createRng } from './rng.js';

export interface SimContactInfo {
  full_name: string;
  email: string;
  phone: string;
}

export interface SimClient {
  id: string;
  name: string;
  status: string;
  created_at: string;
  modified_at: string;
  max_channels: number;
  partner_payload: string | null;
  contact_info: SimContactInfo | null;
}

export interface SimChannel {
  id: string;
  client_id: string;
  status: string;
  account_mode: 'sandbox' | 'live';
  current_limit: string;
  current_quality_rating: string;
  availability_status: 'setting_up' | 'ready' | 'error';
  /** Deprecated upstream; moves with availability_status. */
  hub_status: string;
  created_at: string;
  modified_at: string;
  terminated_at: string | null;
  cancelled_at: string | null;
  setup_info: { phone_number: string; phone_name: string };
  waba_account: { id: string; external_id: string; fb_account_status: string } | null;
  is_oba: boolean;
}

export type Dialog360List = 'clients' | 'channels';

export type Dialog360Fault = { list: Dialog360List | '*'; times?: number } & (
  /** `detail`: 360dialog's words in the answer (default "Server error"). */
  | { kind: 'http'; status: number; detail?: string }
  /** 429 with Retry-After; a request that comes back sooner is refused again and counted in `earlyRequests`. */
  | { kind: 'throttle'; retryAfterSeconds: number }
  /** A body that is not JSON. */
  | { kind: 'malformed' }
  /** Sets one envelope field, e.g. `count`; without `value` drops it (e.g. `total`, `partner_channels`). */
  | { kind: 'envelope'; field: string; value?: unknown }
  /** Replaces one field of one row of the page (index within the page). */
  | { kind: 'corrupt'; index: number; field: string; value: unknown }
  | { kind: 'latency'; ms: number }
);

export interface PageRequest {
  readonly list: Dialog360List;
  readonly offset: number;
  readonly limit: number;
  readonly sort: readonly string[];
  /** Page requests of this list so far, this one included (1 for the first). */
  readonly n: number;
}

export interface Dialog360WorldOptions {
  apiKey?: string;
  partnerId?: string;
  now?: () => Date;
  /** Added to every answer (the page is taken when the request arrives). */
  latencyMs?: number;
  /** Larger `limit`s are capped to this, and the envelope says so. */
  maxLimit?: number;
  seed?: number;
}

const LIST_FIELD: Record<Dialog360List, string> = { clients: 'clients', channels: 'partner_channels' };
const DEFAULT_LIMIT = 10;

export class Dialog360World {
  readonly apiKey: string;
  readonly partnerId: string;
  now: () => Date;
  latencyMs: number;
  maxLimit: number;
  readonly clients = new Map<string, SimClient>();
  readonly channels = new Map<string, SimChannel>();
  /** Requests received per list (all statuses). */
  readonly calls: Record<string, number> = {};
  /** Every page request that reached the list, in arrival order. */
  readonly pageRequests: PageRequest[] = [];
  /** Requests that came back inside a Retry-After window. */
  earlyRequests = 0;
  /** Most requests being answered at the same time. */
  maxInFlight = 0;
  /** The same per list: 1 when a list's pages were read strictly one after another. */
  readonly maxInFlightOf: Partial<Record<Dialog360List, number>> = {};
  private inFlight = 0;
  private readonly inFlightOf: Partial<Record<Dialog360List, number>> = {};
  private throttledUntil = 0;
  private readonly faults: Required<Dialog360Fault>[] = [];
  private readonly pageHooks = new Set<(request: PageRequest) => void>();
  private readonly rng: Rng;
  /** Bumped by every change, so sorted views are rebuilt only when something changed. */
  private version = 0;
  private readonly views = new Map<string, { version: number; rows: readonly (SimClient | SimChannel)[] }>();

  constructor(options: Dialog360WorldOptions = {}) {
    this.apiKey = options.apiKey ?? 'sim-360-partner-key';
    this.partnerId = options.partnerId ?? 'simPA';
    this.now = options.now ?? (() => new Date());
    this.latencyMs = options.latencyMs ?? 0;
    this.maxLimit = options.maxLimit ?? 1000;
    this.rng = createRng(options.seed ?? 360);
  }

  // ---- scripting the world ----

  addClient(fields: Partial<SimClient> = {}): SimClient {
    const now = this.now().toISOString();
    const id = fields.id ?? this.newId('CL', this.clients);
    const n = this.clients.size + 1;
    const item: SimClient = {
      name: `Company ${n}`,
      status: 'active',
      created_at: now,
      modified_at: now,
      max_channels: 10,
      partner_payload: null,
      contact_info: { full_name: `Owner ${n}`, email: `owner${n}@example.com`, phone: `+4915100${String(n).padStart(5, '0')}` },
      ...fields,
      id,
    };
    this.clients.set(id, item);
    this.changed();
    this.webhooks?.send({ event: 'client_created', data: { ...item } });
    return item;
  }

  updateClient(id: string, patch: Partial<Omit<SimClient, 'id'>>): SimClient {
    const item = this.client(id);
    Object.assign(item, patch, { modified_at: this.now().toISOString() });
    this.changed();
    return item;
  }

  removeClient(id: string): void {
    this.client(id);
    this.clients.delete(id);
    this.changed();
  }

  /** A live, ready channel unless told otherwise; a client is created when none is named. */
  addChannel(fields: Partial<SimChannel> = {}): SimChannel {
    const now = this.now().toISOString();
    const clientId = fields.client_id ?? this.addClient().id;
    const id = fields.id ?? this.newId('CH', this.channels);
    const phone = `49151${String(this.rng.int(0, 99_999_999)).padStart(8, '0')}`;
    const item: SimChannel = {
      status: 'ready',
      account_mode: 'live',
      current_limit: 'TIER_1K',
      current_quality_rating: 'High',
      availability_status: 'ready',
      hub_status: 'live',
      created_at: now,
      modified_at: now,
      terminated_at: null,
      cancelled_at: null,
      setup_info: { phone_number: phone, phone_name: `Brand ${id}` },
      waba_account: { id: this.newId('WA', null), external_id: String(this.rng.int(100_000_000, 999_999_999)) + String(this.rng.int(100_000, 999_999)), fb_account_status: 'verified' },
      is_oba: false,
      ...fields,
      id,
      client_id: clientId,
    };
    this.channels.set(id, item);
    this.changed();
    this.webhooks?.send({ event: 'channel_created', data: { ...item } });
    return item;
  }

  updateChannel(id: string, patch: Partial<Omit<SimChannel, 'id'>>): SimChannel {
    const item = this.channel(id);
    Object.assign(item, patch, { modified_at: this.now().toISOString() });
    this.changed();
    return item;
  }

  setStatus(id: string, status: string): SimChannel {
    const item = this.updateChannel(id, { status });
    if (['submitted', 'ready', 'running', 'live'].includes(status)) this.webhooks?.send({ event: `channel_${status}`, data: { ...item } });
    return item;
  }

  /** Where the world's lifecycle changes go as the partner webhook; null: none sent. */
  webhooks: WebhookSender | null = null;

  /** What only the webhook tells: `account_violation` or `account_restriction` on a channel's number. */
  accountEvent(id: string, event: 'account_violation' | 'account_restriction', violationType: string): void {
    const item = this.channel(id);
    this.webhooks?.send({ event, data: { id, client_id: item.client_id, phone_number: item.setup_info?.phone_number, violation_type: violationType } });
  }

  setQuality(id: string, rating: string): SimChannel {
    return this.updateChannel(id, { current_quality_rating: rating });
  }

  setLimit(id: string, tier: string): SimChannel {
    return this.updateChannel(id, { current_limit: tier });
  }

  /** hub_status (deprecated) follows, as upstream. */
  setAvailability(id: string, availability: SimChannel['availability_status']): SimChannel {
    const hub = availability === 'ready' ? 'live' : availability === 'setting_up' ? 'draft' : 'unknown';
    return this.updateChannel(id, { availability_status: availability, hub_status: hub });
  }

  removeChannel(id: string): void {
    this.channel(id);
    this.channels.delete(id);
    this.changed();
  }

  client(id: string): SimClient {
    const item = this.clients.get(id);
    if (!item) throw new Error(`no client ${id}`);
    return item;
  }

  channel(id: string): SimChannel {
    const item = this.channels.get(id);
    if (!item) throw new Error(`no channel ${id}`);
    return item;
  }

  /** Runs as each page request arrives, before its page is taken. Returns a function that removes it. */
  onPageRequest(hook: (request: PageRequest) => void): () => void {
    this.pageHooks.add(hook);
    return () => this.pageHooks.delete(hook);
  }

  inject(fault: Dialog360Fault): void {
    this.faults.push({ times: 1, ...fault } as Required<Dialog360Fault>);
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Page requests of one list at `offset`, e.g. offset 0 counts the sweeps. */
  pagesAt(list: Dialog360List, offset: number): number {
    return this.pageRequests.filter((r) => r.list === list && r.offset === offset).length;
  }

  // ---- the API ----

  readonly handler: SimHandler = (request) => this.answer(request);

  private async answer(request: SimRequest): Promise<SimResponse> {
    const list = /\/(clients|channels)\/?$/.exec(request.path)?.[1] as Dialog360List | undefined;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (list) {
      this.inFlightOf[list] = (this.inFlightOf[list] ?? 0) + 1;
      this.maxInFlightOf[list] = Math.max(this.maxInFlightOf[list] ?? 0, this.inFlightOf[list]);
    }
    try {
      // The latency counts from the request's arrival, the fake's computing inside it (server.ts).
      const started = performance.now();
      const response = this.respond(request);
      const delay = this.latencyMs + (response.delayMs ?? 0) - (performance.now() - started);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      return { ...response, delayMs: 0 };
    } finally {
      this.inFlight -= 1;
      if (list) this.inFlightOf[list]! -= 1;
    }
  }

  private respond(request: SimRequest): SimResponse {
    const match = /^\/partners\/([^/]+)\/(clients|channels)\/?$/.exec(request.path);
    if (!match) return { status: 404, body: { detail: 'Not found' } };
    const list = match[2] as Dialog360List;
    this.calls[list] = (this.calls[list] ?? 0) + 1;
    if (request.method !== 'GET') return { status: 405, body: { detail: 'Method not allowed' } };
    if (request.headers['x-api-key'] !== this.apiKey) return { status: 401, body: { detail: 'Invalid API key' } };
    if (decodeURIComponent(match[1]!) !== this.partnerId) return { status: 403, body: { detail: 'Not allowed for this partner' } };

    const wait = this.throttledUntil - performance.now();
    if (wait > 0) {
      this.earlyRequests += 1;
      return { status: 429, body: { detail: 'Too many requests' }, headers: { 'retry-after': (wait / 1000).toFixed(3) } };
    }
    const fault = this.takeFault(list);
    if (fault?.kind === 'http') return { status: fault.status, body: { detail: fault.detail ?? 'Server error' } };
    if (fault?.kind === 'throttle') {
      this.throttledUntil = performance.now() + fault.retryAfterSeconds * 1000;
      return { status: 429, body: { detail: 'Too many requests' }, headers: { 'retry-after': String(fault.retryAfterSeconds) } };
    }

    const query = readQuery(request.query, list, this.maxLimit);
    if ('error' in query) return { status: 400, body: { detail: query.error } };
    const n = this.pageRequests.filter((r) => r.list === list).length + 1;
    const pageRequest: PageRequest = { list, offset: query.offset, limit: query.limit, sort: query.sort, n };
    this.pageRequests.push(pageRequest);
    for (const hook of this.pageHooks) hook(pageRequest);

    const rows = this.view(list, query.sort, query.filters);
    const page = rows.slice(query.offset, query.offset + query.limit).map(copyRow);
    const body: Record<string, unknown> = {
      count: page.length,
      filters: query.filters,
      sort: query.sort,
      limit: query.limit,
      offset: query.offset,
      total: rows.length,
      [LIST_FIELD[list]]: page,
    };
    if (fault?.kind === 'corrupt' && page[fault.index]) (page[fault.index] as unknown as Record<string, unknown>)[fault.field] = fault.value;
    if (fault?.kind === 'envelope') {
      if (fault.value === undefined) delete body[fault.field];
      else body[fault.field] = fault.value;
    }
    const delayMs = fault?.kind === 'latency' ? fault.ms : 0;
    if (fault?.kind === 'malformed') {
      const text = JSON.stringify(body);
      return { status: 200, raw: text.slice(0, Math.max(1, Math.floor(text.length / 2))), delayMs };
    }
    return { status: 200, body, delayMs };
  }

  /** The list filtered and sorted, rebuilt only after a change (a 20,000-channel sweep reads it 200 times). */
  private view(list: Dialog360List, sort: readonly string[], filters: Record<string, unknown> | null): readonly (SimClient | SimChannel)[] {
    const cacheKey = JSON.stringify([list, sort, filters]);
    const cached = this.views.get(cacheKey);
    if (cached && cached.version === this.version) return cached.rows;
    const source: (SimClient | SimChannel)[] = [...(list === 'clients' ? this.clients.values() : this.channels.values())];
    const filtered = filters
      ? source.filter((row) => Object.entries(filters).every(([field, value]) => JSON.stringify((row as unknown as Record<string, unknown>)[field]) === JSON.stringify(value)))
      : source;
    const rows = sort.length > 0 ? filtered.sort(comparator(sort)) : filtered;
    this.views.set(cacheKey, { version: this.version, rows });
    return rows;
  }

  private changed(): void {
    this.version += 1;
  }

  private newId(suffix: string, taken: Map<string, unknown> | null): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    for (;;) {
      let id = '';
      for (let i = 0; i < 8; i++) id += alphabet[this.rng.int(0, alphabet.length - 1)];
      id += suffix;
      if (!taken?.has(id)) return id;
    }
  }

  private takeFault(list: Dialog360List): Required<Dialog360Fault> | undefined {
    const index = this.faults.findIndex((fault) => fault.list === list || fault.list === '*');
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    fault.times -= 1;
    if (fault.times <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

const SORTABLE: Record<Dialog360List, readonly string[]> = {
  clients: ['id', 'name', 'status', 'created_at', 'modified_at', 'max_channels'],
  channels: ['id', 'client_id', 'status', 'account_mode', 'current_limit', 'current_quality_rating', 'availability_status', 'created_at', 'modified_at', 'terminated_at', 'cancelled_at'],
};

type Query = { limit: number; offset: number; sort: string[]; filters: Record<string, unknown> | null } | { error: string };

function readQuery(params: URLSearchParams, list: Dialog360List, maxLimit: number): Query {
  const whole = (name: string, fallback: number): number | string => {
    const raw = params.get(name);
    if (raw === null) return fallback;
    return /^\d+$/.test(raw) ? Number(raw) : `${name}: expected a whole number, got ${JSON.stringify(raw)}`;
  };
  const limit = whole('limit', DEFAULT_LIMIT);
  const offset = whole('offset', 0);
  if (typeof limit === 'string') return { error: limit };
  if (typeof offset === 'string') return { error: offset };
  if (limit < 1) return { error: 'limit: must be at least 1' };
  const sort = params.getAll('sort');
  const unknown = sort.find((field) => !SORTABLE[list].includes(field.replace(/^-/, '')));
  if (unknown !== undefined) return { error: `sort: ${JSON.stringify(unknown)} is not a sortable field` };
  let filters: Record<string, unknown> | null = null;
  const rawFilters = params.get('filters');
  if (rawFilters !== null) {
    try {
      const parsed: unknown = JSON.parse(rawFilters);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      filters = parsed as Record<string, unknown>;
    } catch {
      return { error: 'filters: expected a JSON object' };
    }
  }
  return { limit: Math.min(limit, maxLimit), offset, sort, filters };
}

function comparator(sort: readonly string[]): (a: object, b: object) => number {
  const keys = sort.map((field) => ({ field: field.replace(/^-/, ''), direction: field.startsWith('-') ? -1 : 1 }));
  return (a, b) => {
    for (const { field, direction } of keys) {
      const x = (a as Record<string, unknown>)[field];
      const y = (b as Record<string, unknown>)[field];
      if (x === y) continue;
      if (x === null || x === undefined) return -direction;
      if (y === null || y === undefined) return direction;
      return (x < y ? -1 : x > y ? 1 : 0) * direction;
    }
    return 0;
  };
}

function copyRow<T extends SimClient | SimChannel>(row: T): T {
  return JSON.parse(JSON.stringify(row)) as T;
}

const QUALITY = ['High', 'High', 'High', 'Medium', 'Low', 'NA'];
const TIERS = ['TIER_250', 'TIER_1K', 'TIER_1K', 'TIER_10K', 'TIER_100K', 'TIER_UNLIMITED'];

/**
 * A deterministic fleet of `clients` clients sharing `channels` channels, created a minute apart
 * (oldest first), mostly ready. Linear in the fleet size: fine for 20,000 channels.
 */
export function seedDialog360(world: Dialog360World, fleet: { clients: number; channels: number }): void {
  const rng = createRng(fleet.clients * 7919 + fleet.channels);
  const start = world.now().getTime() - (fleet.clients + fleet.channels) * 60_000;
  const at = (minutes: number) => new Date(start + minutes * 60_000).toISOString();
  const clientIds: string[] = [];
  for (let i = 0; i < fleet.clients; i++) {
    clientIds.push(world.addClient({ name: `Company ${i + 1}`, created_at: at(i), modified_at: at(i) }).id);
  }
  for (let i = 0; i < fleet.channels; i++) {
    const settingUp = rng.next() < 0.05;
    world.addChannel({
      client_id: clientIds.length > 0 ? clientIds[i % clientIds.length]! : undefined,
      created_at: at(fleet.clients + i),
      modified_at: at(fleet.clients + i),
      status: settingUp ? 'created' : 'ready',
      availability_status: settingUp ? 'setting_up' : 'ready',
      hub_status: settingUp ? 'draft' : 'live',
      current_quality_rating: QUALITY[rng.int(0, QUALITY.length - 1)]!,
      current_limit: TIERS[rng.int(0, TIERS.length - 1)]!,
    });
  }
}
