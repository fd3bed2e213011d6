/**
 * The benchmark's console phase: server time per console page on the run's database (the whole
 * fleet with its churn history), through Fastify's inject — the page's queries and rendering,
 * no socket. Each page is asked `samples` times, about different WABAs where the page is about
 * one; p50, p95 and max per page. The search index's first build is timed on its own (it happens
 * once per completed pull, on the first search after it).
 */
import { performance } from 'node:perf_hooks';
import { openApp } from '../app.js';
import { parseConfig } from '../config.js';
import { hashPassword } from '../console/passwords.js';
import { presentEntity } from '../console/queries/current-index.js';
import { type Cursor, eventsPage } from '../console/queries/events.js';
import { buildConsole } from '../console/server.js';
import { createLogger } from '../log.js';

export interface PageTiming {
  readonly page: string;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

export interface ConsoleMeasure {
  readonly events: number;
  readonly entityVersions: number;
  /** The first search: building the in-memory index of every current entity. */
  readonly indexBuildMs: number;
  readonly pages: readonly PageTiming[];
}

const PASSWORD = 'bench console password';

export async function benchConsole(databaseUrl: string, options: { samples: number; say: (line: string) => void }): Promise<ConsoleMeasure> {
  const config = parseConfig({ DATABASE_URL: databaseUrl, CONSOLE_USERS: `bench:${await hashPassword(PASSWORD)}`, LOG_LEVEL: 'silent' });
  const app = await openApp(config, { log: createLogger({ level: 'silent' }), announceDatabase: false });
  const failures: unknown[] = [];
  const built = await buildConsole({ app, settings: config.console!, syncNow: async () => null, onError: (error) => failures.push(error) });
  try {
    const server = built.app;
    const form = await server.inject({ method: 'GET', url: '/login' });
    const loginCookie = String(form.headers['set-cookie']).split(';')[0]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const login = await server.inject({ method: 'POST', url: '/login', headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: token, user: 'bench', password: PASSWORD }).toString() });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const get = async (url: string): Promise<number> => {
      const started = performance.now();
      const answer = await server.inject({ method: 'GET', url, headers: { cookie } });
      const ms = performance.now() - started;
      if (answer.statusCode !== 200) throw new Error(`bench console: ${url} answered ${answer.statusCode}`);
      return ms;
    };

    options.say(`5. console: ${options.samples} requests per page`);
    const count = async (table: 'event' | 'entity_version') => Number((await app.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    // The WABAs with the longest histories (the churn changed them), their names and numbers.
    const wabas = await app.db
      .selectFrom('entity_version')
      .select(['key', (eb) => eb.fn.countAll<number>().as('versions')])
      .where('source', '=', 'meta')
      .where('kind', '=', 'waba')
      .groupBy('key')
      .orderBy('versions', 'desc')
      .orderBy('key')
      .limit(options.samples)
      .execute();
    const current = await app.db.selectFrom('entity_version').select(['key', 'data']).where('source', '=', 'meta').where('kind', '=', 'waba').where('valid_to', 'is', null).where('key', 'in', wabas.map((w) => w.key)).execute();
    const names = current.map((row) => presentEntity('meta', 'waba', JSON.parse(row.data)).name).filter((n): n is string => !!n);
    const phones = await app.db.selectFrom('entity_version').select(['data']).where('source', '=', 'meta').where('kind', '=', 'phone_number').where('valid_to', 'is', null).limit(options.samples).execute();
    // Written another way than Meta's "+1 555-010-0001": digits in groups of three with dots.
    const numbers = phones
      .map((row) => presentEntity('meta', 'phone_number', JSON.parse(row.data)).number)
      .filter((n): n is string => !!n)
      .map((n) => n.replace(/\D/g, '').replace(/(\d{3})(?=\d)/g, '$1.'));

    const indexBuildMs = await get(`/search?q=${encodeURIComponent(names[0] ?? 'x')}`);
    // Page 50: the cursor after 49 pages, found the way a reader's "Older" links find it.
    let cursor: Cursor | undefined;
    for (let page = 1; page < 50; page++) {
      const { rows, more } = await eventsPage(app.db, {}, null, cursor);
      if (!more) break;
      cursor = { at: rows.at(-1)!.at, id: rows.at(-1)!.id };
    }
    const pick = <T>(list: readonly T[], i: number, fallback: T) => (list.length > 0 ? list[i % list.length]! : fallback);
    const plan: [string, (i: number) => string][] = [
      ['events, first page', () => '/events'],
      ['events, filtered (meta, waba.*)', () => '/events?source=meta&type=waba.*'],
      ['events, filtered by a WABA name', (i) => `/events?q=${encodeURIComponent(pick(names, i, 'x'))}`],
      ['events, page 50', () => (cursor ? `/events?before=${encodeURIComponent(`${cursor.at}_${cursor.id}`)}` : '/events')],
      ['search by name', (i) => `/search?q=${encodeURIComponent(pick(names, i, 'x'))}`],
      ['search by number (another format)', (i) => `/search?q=${encodeURIComponent(pick(numbers, i, '0'))}`],
      ['entity: a WABA with its history', (i) => `/entity/meta/waba/${encodeURIComponent(pick(wabas, i, { key: 'x', versions: 0 }).key)}`],
    ];
    const pages: PageTiming[] = [];
    for (const [page, url] of plan) {
      const times: number[] = [];
      for (let i = 0; i < options.samples; i++) times.push(await get(url(i)));
      pages.push(timing(page, times));
      const t = pages.at(-1)!;
      options.say(`   ${page}: p50 ${t.p50Ms} ms, p95 ${t.p95Ms} ms, max ${t.maxMs} ms`);
    }
    if (failures.length > 0) throw new Error(`bench console: ${failures.length} request(s) failed: ${String(failures[0])}`);
    return { events: await count('event'), entityVersions: await count('entity_version'), indexBuildMs: Math.round(indexBuildMs), pages };
  } finally {
    await built.app.close();
    await app.close();
  }
}

function timing(page: string, times: number[]): PageTiming {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0) * 10) / 10;
  return { page, samples: times.length, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: Math.round((sorted.at(-1) ?? 0) * 10) / 10 };
}
