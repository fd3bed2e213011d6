/** Overview, events (with CSV and JSON-lines exports), search and the entity page. */
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import type { FastifyInstance } from 'fastify';
import { scheduleTable } from '../../../jobs/schedule.js';
import type { EventRow } from '../../../db/schema.js';
import { SOURCE_NAMES } from '../../config.js';
import { describeEvent, eventJsonLine } from '../../events/format.js';
import { toEventRecord } from '../../events/query.js';
import { intakeRoutes } from '../../intake/index.js';
import { intakeSummary } from '../../intake/inbox.js';
import { healthMaxFullAgeSeconds, readHealth } from '../../observability/health.js';
import { toCsv } from '../../render/csv.js';
import { displayValue } from '../../render/truncate.js';
import { nextRuns } from '../../schedule.js';
import { presentEvent } from '../../sources/presentation.js';
import { UPSTREAMS, findUpstream, kindOfEvent } from '../../sources/registry.js';
import { eventTypesOf } from '../../sources/upstream.js';
import { sourceStatus } from '../../status.js';
import { field, instantField, toInputValue } from '../http.js';
import { type CurrentIndex, type IndexedEntity, looksLikePhone, phoneDigits, presentEntity } from '../queries/current-index.js';
import { entityEvents, entityHistory, entityVersionAt, entityVersions, versionAsOf } from '../queries/entity.js';
import { type EventsFilter, MAX_TEXT_KEYS, decodeCursor, encodeCursor, eventsPage, keysForText } from '../queries/events.js';
import type { PageKit } from '../server.js';

/** Events an entity's page lists at most, newest first (the Events page has them all). */
const ENTITY_EVENTS = 200;

export function entityHref(source: string, kind: string, key: string): string {
  return `/entity/${encodeURIComponent(source)}/${encodeURIComponent(kind)}/${encodeURIComponent(key)}`;
}

const when = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : 'never');

export function registerFleetPages(app: FastifyInstance, kit: PageKit): void {
  const { deps } = kit;
  const { db, config } = deps.app;

  app.get('/', async (request, reply) => {
    const now = deps.app.clock();
    const enabled = [...deps.app.sources.values()];
    const health = await readHealth(db, enabled.map((s) => ({ name: s.name, supportsIncremental: s.supportsIncremental })), now, {
      maxAgeSeconds: config.healthMaxAgeSeconds,
      maxFullAgeSeconds: healthMaxFullAgeSeconds(config),
    });
    const sources = [];
    for (const name of SOURCE_NAMES) {
      const status = await sourceStatus(db, name, config.disabledReasons[name] ?? null);
      const fresh = health.sources.find((s) => s.source === name);
      const stale = health.stale.filter((s) => s === name || s.startsWith(`${name} `));
      const last = status.lastRun;
      sources.push({
        name,
        label: findUpstream(name)?.label ?? name,
        enabled: status.enabled,
        disabledReason: status.disabledReason,
        health: !fresh ? '-' : stale.length === 0 ? 'fresh' : 'stale',
        healthDetail: stale.length > 0 ? `stale: ${stale.join(', ')}` : '',
        lastRun: last ? `${last.mode} ${last.outcome} ${when(last.started_at)}` : 'never',
        lastComplete: when(status.lastComplete?.finished_at),
        lastCompleteFull: when(status.lastCompleteFull?.finished_at),
        failures: status.failuresSinceComplete,
        entities: Object.entries(status.entities).map(([kind, n]) => `${kind} ${n}`).join(', ') || '-',
      });
    }
    const since = new Date(now.getTime() - 86_400_000).toISOString();
    const byType = await db
      .selectFrom('event')
      .select(['type', (eb) => eb.fn.countAll<number>().as('n')])
      .where('at', '>=', since)
      .groupBy('type')
      .orderBy('type')
      .execute();
    const outbox = await db.selectFrom('outbox').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('status', 'in', ['pending', 'failed']).groupBy('status').execute();
    const count = (status: string) => Number(outbox.find((row) => row.status === status)?.n ?? 0);
    const open = intakeRoutes({ config }).filter((route) => route.config !== null && route.reader.enabled(route.config));
    const intake =
      open.length === 0
        ? null
        : {
            listening: config.webhook.port === null ? 'WEBHOOK_PORT is not set: no listener' : `listening on ${config.webhook.host}:${config.webhook.port}`,
            rows: (await intakeSummary(db, open.map((r) => r.upstream))).map((s) => ({ upstream: s.upstream, last: when(s.lastReceivedAt), backlog: s.backlog })),
          };
    return kit.page(request, reply, 'overview', 'Overview', {
      sources,
      since,
      eventsByType: byType.map((row) => ({ type: row.type, count: Number(row.n) })),
      outbox: { pending: count('pending'), failed: count('failed'), smtp: config.mail.smtp !== null },
      timezone: config.timezone,
      // In TIMEZONE, as the heading says and the cron expressions mean.
      schedule: scheduleTable(config).map((job) => {
        const next = nextRuns(job.cron, config.timezone, 1)[0];
        return { name: job.name, cron: job.cron, next: next ? format(new TZDate(next, config.timezone), 'yyyy-MM-dd HH:mm') : '-' };
      }),
      intake,
    });
  });

  /** The filter from a query string, or the field that is wrong. */
  const readFilter = (query: unknown): { filter: EventsFilter; problem: string | null } => {
    const source = field(query, 'source');
    const from = instantField(field(query, 'from'));
    const to = instantField(field(query, 'to'));
    const knownSource = source === undefined || (SOURCE_NAMES as readonly string[]).includes(source);
    const problem = !knownSource
      ? `Source: not one of ${SOURCE_NAMES.join(', ')}`
      : from === null
        ? 'From: not a date and time'
        : to === null
          ? 'Until: not a date and time'
          : null;
    return {
      filter: {
        source: knownSource ? source : undefined,
        type: field(query, 'type'),
        from: from ?? undefined,
        to: to ?? undefined,
        text: field(query, 'q'),
      },
      problem,
    };
  };
  const queryOf = (filter: EventsFilter, extra: Record<string, string> = {}) => {
    const params = new URLSearchParams();
    if (filter.source) params.set('source', filter.source);
    if (filter.type) params.set('type', filter.type);
    if (filter.from) params.set('from', filter.from);
    if (filter.to) params.set('to', filter.to);
    if (filter.text) params.set('q', filter.text);
    for (const [k, v] of Object.entries(extra)) params.set(k, v);
    return params.toString();
  };
  const keysOf = async (filter: EventsFilter) => (filter.text ? keysForText(await kit.index.get(), filter.text) : null);
  const eventView = (row: EventRow) => {
    const record = toEventRecord(row);
    const shown = presentEvent(record);
    const kind = kindOfEvent(row.source, row.type);
    return {
      record,
      at: when(row.at),
      type: row.type,
      source: row.source,
      key: row.key,
      label: displayValue(shown.label ?? shown.name ?? row.key),
      number: shown.number,
      href: kind ? entityHref(row.source, kind, row.key) : null,
      detail: displayValue(describeEvent(record)),
    };
  };

  app.get('/events', async (request, reply) => {
    const read = readFilter(request.query);
    const { filter } = read;
    const cursor = field(request.query, 'before');
    const before = decodeCursor(cursor);
    // A wrong value is said, with a 400: never the unfiltered list in its place.
    const problem = read.problem ?? (cursor !== undefined && before === undefined ? 'Older: not a page of this list (follow the “Older” link again)' : null);
    const keys = problem ? null : await keysOf(filter);
    const { rows, more } = problem ? { rows: [], more: false } : await eventsPage(db, filter, keys, before);
    const views = rows.map(eventView);
    return kit.page(request, reply, 'events', problem ? 'Events: bad request' : 'Events', {
      filter,
      problem,
      form: { from: toInputValue(filter.from), to: toInputValue(filter.to) },
      sources: SOURCE_NAMES,
      types: [...new Set(UPSTREAMS.flatMap((u) => u.kinds.flatMap(eventTypesOf)))].sort(),
      rows: views,
      query: queryOf(filter),
      firstHref: before ? `/events?${queryOf(filter)}` : null,
      olderHref: more ? `/events?${queryOf(filter, { before: encodeCursor(rows.at(-1)!) })}` : null,
      // Said, not hidden: a name that matches more entities lists the events of the first found.
      capped: keys !== null && keys.length >= MAX_TEXT_KEYS ? MAX_TEXT_KEYS : null,
    }, problem ? 400 : 200);
  });

  /** Exports walk the filtered list page by page (keyset), up to EXPORT_MAX rows. */
  const EXPORT_MAX = 100_000;
  /** The filtered list for an export, or why it would be cut short (a file can't say so inside itself). */
  const exportRows = async (filter: EventsFilter): Promise<{ rows: EventRow[] } | { problem: string }> => {
    const keys = await keysOf(filter);
    if (keys !== null && keys.length >= MAX_TEXT_KEYS) return { problem: `Name, id or number: it matches ${MAX_TEXT_KEYS} entities or more; narrow it to export their events` };
    const all: EventRow[] = [];
    let before: { at: string; id: number } | undefined;
    for (;;) {
      const { rows, more } = await eventsPage(db, filter, keys, before, 1_000);
      all.push(...rows);
      if (!more) return { rows: all };
      if (all.length >= EXPORT_MAX) return { problem: `More than ${EXPORT_MAX.toLocaleString('en')} events match: narrow the time range (From, Until) to export them` };
      before = { at: rows.at(-1)!.at, id: rows.at(-1)!.id };
    }
  };
  app.get('/events.csv', async (request, reply) => {
    const { filter, problem } = readFilter(request.query);
    const found = problem ? { problem } : await exportRows(filter);
    if ('problem' in found) return reply.code(400).type('text/plain').send(found.problem);
    const rows = found.rows.map((row) => {
      const view = eventView(row);
      return [row.id, row.at, row.type, row.source, row.key, view.label, view.number, view.detail];
    });
    // toCsv neutralises formulas: a name like "=HYPERLINK(…)" stays text in a spreadsheet.
    const csv = toCsv(['id', 'at', 'type', 'source', 'key', 'name', 'number', 'detail'], rows);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="events.csv"').send(csv);
  });
  app.get('/events.jsonl', async (request, reply) => {
    const { filter, problem } = readFilter(request.query);
    const found = problem ? { problem } : await exportRows(filter);
    if ('problem' in found) return reply.code(400).type('text/plain').send(found.problem);
    const lines = found.rows.map((row) => `${eventJsonLine(toEventRecord(row))}\n`);
    return reply.type('application/x-ndjson; charset=utf-8').header('content-disposition', 'attachment; filename="events.jsonl"').send(lines.join(''));
  });

  const SEARCH_LIMIT = 100;
  app.get('/search', async (request, reply) => {
    const q = field(request.query, 'q') ?? '';
    const results = q ? search(await kit.index.get(), q, SEARCH_LIMIT) : [];
    return kit.page(request, reply, 'search', 'Search', {
      q,
      limit: SEARCH_LIMIT,
      results: results.map((e) => ({
        href: entityHref(e.source, e.kind, e.key),
        name: displayValue(e.name ?? e.label ?? e.key),
        source: findUpstream(e.source)?.label ?? e.source,
        kind: e.kind,
        key: e.key,
        number: e.number ?? '',
        owner: displayValue(e.owner ?? ''),
      })),
    });
  });

  app.get<{ Params: { source: string; kind: string; key: string } }>('/entity/:source/:kind/:key', async (request, reply) => {
    const { source, kind, key } = request.params;
    const versions = await entityVersions(db, { source, kind, key });
    if (versions.length === 0) return kit.page(request, reply, 'not-found', 'Not found', { message: `No ${source} ${kind} ${key} has been stored.` }, 404);
    const atField = field(request.query, 'at');
    const asOf = instantField(atField);
    if (asOf === null) return kit.page(request, reply, 'not-found', 'Bad request', { message: 'As of: not a date and time (e.g. 2026-12-01T09:30, UTC)' }, 400);
    const latest = versions.at(-1)!;
    const history = await entityHistory(db, { source, kind, key });
    const listedAll = history.versions <= versions.length;
    const shownVersion = asOf ? (versionAsOf(versions, asOf) ?? (listedAll ? undefined : await entityVersionAt(db, { source, kind, key }, asOf))) : latest;
    const shown = presentEntity(source, kind, latest.data);
    const self = entityHref(source, kind, key);
    const index = await kit.index.get();
    const events = await entityEvents(db, { source, key }, ENTITY_EVENTS + 1);
    return kit.page(request, reply, 'entity', displayValue(shown.name ?? shown.label ?? key), {
      source: findUpstream(source)?.label ?? source,
      sourceName: source,
      kind,
      key,
      self,
      removed: latest.row.valid_to !== null,
      asOf: asOf ? when(asOf) : null,
      asOfInput: toInputValue(asOf ?? undefined),
      firstSeen: when(history.firstSeen ?? versions[0]!.row.valid_from),
      versionCount: history.versions,
      state: shownVersion ? { from: when(shownVersion.row.valid_from), to: shownVersion.row.valid_to ? when(shownVersion.row.valid_to) : null, json: JSON.stringify(shownVersion.data, null, 2) } : null,
      versions: versions
        .map((v, i) => ({
          from: v.row.valid_from,
          to: v.row.valid_to ? when(v.row.valid_to) : null,
          current: v === shownVersion,
          summary: i === 0 ? (listedAll ? 'first seen' : 'the oldest listed') : Object.keys(v.changes ?? {}).length === 0 ? 'seen again' : `${Object.keys(v.changes ?? {}).length} field(s) changed`,
          changes: Object.entries(v.changes ?? {}).map(([f, c]) => ({ field: f, from: short(c.from), to: short(c.to) })),
        }))
        .reverse(),
      eventsCut: events.length > ENTITY_EVENTS ? ENTITY_EVENTS : null,
      events: events.slice(0, ENTITY_EVENTS).map((row) => ({ at: when(row.at), type: row.type, detail: displayValue(describeEvent(toEventRecord(row))) })),
      links: linksOf(index, { source, kind, key }, latest.data as Record<string, unknown>),
    });
  });
}

function short(value: unknown): string {
  if (value === undefined) return '(none)';
  return displayValue(typeof value === 'string' ? value : JSON.stringify(value)) ?? '';
}

/** Search: exact ids first, then phone numbers (any format), then names; each entity once. */
export function search(index: CurrentIndex, q: string, limit: number): IndexedEntity[] {
  const found = new Map<string, IndexedEntity>();
  const add = (list: readonly IndexedEntity[]) => {
    for (const e of list) if (found.size < limit) found.set(`${e.source}\n${e.kind}\n${e.key}`, e);
  };
  add(index.byKey(q));
  if (looksLikePhone(q)) {
    const digits = phoneDigits(q);
    add(index.byDigits(digits));
    // A local number ("050-123 4567"): the stored digits end with it, less its leading 0.
    if (found.size === 0) add(index.byDigitsSuffix(digits.replace(/^0+/, ''), limit));
  }
  // A number that found its entity is not also looked for among names (a scan of every name).
  if (q.length >= 2 && !(looksLikePhone(q) && found.size > 0)) add(index.byName(q, limit));
  return [...found.values()];
}

/** The same business in other sources, through the registry's joins (and a number's digits). */
function linksOf(index: CurrentIndex, self: { source: string; kind: string; key: string }, data: Record<string, unknown>) {
  const links = new Map<string, { href: string; name: string; source: string; kind: string; key: string; why: string }>();
  const add = (e: IndexedEntity, why: string) => {
    if (e.source === self.source && e.kind === self.kind && e.key === self.key) return;
    const id = `${e.source}\n${e.kind}\n${e.key}`;
    if (!links.has(id)) links.set(id, { href: entityHref(e.source, e.kind, e.key), name: displayValue(e.name ?? e.label ?? e.key), source: findUpstream(e.source)?.label ?? e.source, kind: e.kind, key: e.key, why });
  };
  const upstream = findUpstream(self.source);
  for (const offer of upstream?.joins ?? []) {
    if (offer.kind !== self.kind) continue;
    for (const value of offer.values(self.key, data)) {
      for (const e of index.byJoin(offer.join, value)) add(e, offer.join === 'waba_id' ? `WABA ${value}` : `number ${value}`);
      if (offer.join === 'phone_number') for (const e of index.byDigits(phoneDigits(value))) add(e, `number ${phoneDigits(value)}`);
    }
  }
  const number = presentEntity(self.source, self.kind, data).number;
  if (number && phoneDigits(number).length >= 6) for (const e of index.byDigits(phoneDigits(number))) add(e, `number ${phoneDigits(number)}`);
  return [...links.values()].sort((a, b) => a.source.localeCompare(b.source) || a.kind.localeCompare(b.kind));
}

