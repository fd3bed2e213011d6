/** The console over plain HTTP: access, CSRF, headers, and its pages' data (browser tests: console.browser.test.ts). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsPage } from '../../src/console/queries/events.js';
import { buildConsole } from '../../src/console/server.js';
import { captureLog } from '../helpers/log.js';
import { type ConsoleFixture, CONSOLE_PASSWORD, CONSOLE_USER, HOSTILE_NAME, startConsoleFixture } from '../helpers/console.js';

let fixture: ConsoleFixture;
beforeAll(async () => {
  fixture = await startConsoleFixture();
}, 120_000);
afterAll(async () => fixture?.close());

/** A signed-in cookie jar: the session cookie and the CSRF token from a page's form. */
async function signIn(password = CONSOLE_PASSWORD): Promise<{ cookie: string; status: number }> {
  const form = await fetch(`${fixture.url}/login`);
  const loginCookie = form.headers.get('set-cookie')!.split(';')[0]!;
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const answer = await fetch(`${fixture.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
    body: new URLSearchParams({ _csrf: token, user: CONSOLE_USER, password }).toString(),
  });
  return { cookie: (answer.headers.get('set-cookie') ?? '').split(';')[0]!, status: answer.status };
}

/** Signs in to a console built in the test (its own throttle and sessions); its session cookie. */
async function injectedSession(app: Awaited<ReturnType<typeof buildConsole>>['app']): Promise<string> {
  const form = await app.inject({ method: 'GET', url: '/login' });
  const login = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { cookie: String(form.headers['set-cookie']).split(';')[0]!, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!, user: CONSOLE_USER, password: CONSOLE_PASSWORD }).toString(),
  });
  return [login.headers['set-cookie']].flat()[0]!.split(';')[0]!;
}

async function get(path: string, cookie: string) {
  return fetch(`${fixture.url}${path}`, { headers: { cookie }, redirect: 'manual' });
}

describe('the web console over HTTP', () => {
  it('sends an unsigned visitor to the login form, with the security headers', async () => {
    const answer = await fetch(`${fixture.url}/events`, { redirect: 'manual' });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/login');
    const csp = answer.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    // /healthz and /metrics stay where they were, without a session.
    expect((await fetch(`${fixture.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${fixture.url}/metrics`)).status).toBe(200);
  });

  it('refuses a wrong password, and sets an HttpOnly SameSite=Strict cookie for the right one', async () => {
    expect((await signIn('not the password')).status).toBe(401);
    const form = await fetch(`${fixture.url}/login`);
    const answer = await fetch(`${fixture.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.headers.get('set-cookie')!.split(';')[0]! },
      body: new URLSearchParams({ _csrf: /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!, user: CONSOLE_USER, password: CONSOLE_PASSWORD }).toString(),
    });
    expect(answer.status).toBe(303);
    const setCookie = answer.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/waba_console=[^;]+; Path=\/; HttpOnly; SameSite=Strict/);
    expect(setCookie).not.toContain('Secure');
  });

  it('marks the cookies Secure when CONSOLE_SECURE_COOKIE says the console is behind HTTPS', async () => {
    const { app } = await buildConsole({ app: fixture.app, settings: { ...fixture.app.config.console!, secureCookie: true }, syncNow: async () => null, onError: () => undefined });
    try {
      const form = await app.inject({ method: 'GET', url: '/login' });
      expect(String(form.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
      const login = await app.inject({
        method: 'POST',
        url: '/login',
        headers: { cookie: String(form.headers['set-cookie']).split(';')[0]!, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!, user: CONSOLE_USER, password: CONSOLE_PASSWORD }).toString(),
      });
      expect(login.statusCode).toBe(303);
      expect([login.headers['set-cookie']].flat()[0]).toMatch(/^waba_console=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    } finally {
      await app.close();
    }
  });

  it('refuses a POST without its CSRF token, and one with another token', async () => {
    const { cookie } = await signIn();
    const before = await fixture.app.db.selectFrom('sync_run').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    for (const body of ['', '_csrf=forged']) {
      const answer = await fetch(`${fixture.url}/sources/meta/sync`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body });
      expect(answer.status).toBe(403);
    }
    const after = await fixture.app.db.selectFrom('sync_run').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('exports the events as neutralised CSV and as JSON lines', async () => {
    const { cookie } = await signIn();
    const csv = await (await get('/events.csv?source=meta', cookie)).text();
    expect(csv.split('\r\n')[0]).toBe('id,at,type,source,key,name,number,detail');
    expect(csv).toContain(HOSTILE_NAME);
    // The formula is written as text: a leading ' and quoted, never a bare =.
    expect(csv).toContain(`"'=HYPERLINK(""https://evil.example"",""open"")"`);
    expect(csv).not.toMatch(/,=HYPERLINK/);
    const jsonl = (await (await get('/events.jsonl?type=waba.*', cookie)).text()).trim().split('\n');
    expect(jsonl.length).toBeGreaterThan(0);
    for (const line of jsonl) expect(JSON.parse(line).type).toMatch(/^waba\./);
  });

  it('pages the events newest first by (at, id) without skipping or repeating one', async () => {
    const all = await fixture.app.db.selectFrom('event').select(['id', 'at']).orderBy('at', 'desc').orderBy('id', 'desc').execute();
    const seen: number[] = [];
    let before: { at: string; id: number } | undefined;
    for (;;) {
      const page = await eventsPage(fixture.app.db, {}, null, before, 4);
      seen.push(...page.rows.map((r) => r.id));
      if (!page.more) break;
      before = { at: page.rows.at(-1)!.at, id: page.rows.at(-1)!.id };
    }
    expect(seen).toEqual(all.map((r) => r.id));
    // A family filter and a number written another way, on this backend's queries.
    const family = await eventsPage(fixture.app.db, { type: 'channel.*' }, null, undefined);
    expect(family.rows.length).toBeGreaterThan(0);
    for (const row of family.rows) expect(row.type).toMatch(/^channel\./);
  });

  it('finds by a number in another format and shows the entity with its links', async () => {
    const { cookie } = await signIn();
    const search = await (await get(`/search?q=${encodeURIComponent('+972 (50) 123-4567')}`, cookie)).text();
    expect(search).toContain('Linked channel');
    expect(search).toContain('Linked number');
    const entity = await get(`/entity/meta/waba/${fixture.hostileWabaId}`, cookie);
    expect(entity.status).toBe(200);
    const html = await entity.text();
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain(HOSTILE_NAME);
    expect(html).toContain('Linked channel');
    expect((await get('/entity/meta/waba/no-such-id', cookie)).status).toBe(404);
  });

  it('the outbox page lists event deliveries per subscription, with attempts and the last error as text', async () => {
    const { cookie } = await signIn();
    const [event] = await fixture.app.db.selectFrom('event').select(['id', 'type', 'at']).orderBy('id', 'desc').limit(1).execute();
    await fixture.app.db
      .insertInto('event_delivery')
      .values({
        subscription: 'BILLING',
        event_id: event!.id,
        event_type: event!.type,
        entity: 'x',
        webhook_id: 'msg_console_test',
        status: 'failed',
        attempts: 9,
        next_attempt_at: event!.at,
        event_at: event!.at,
        created_at: event!.at,
        last_error: 'HTTP 500 <script>alert(1)</script>',
      })
      .execute();
    try {
      const html = await (await get('/outbox', cookie)).text();
      expect(html).toContain('Event deliveries');
      expect(html).toMatch(/<td>BILLING<\/td><td class="num">0<\/td><td class="num bad">1<\/td>/);
      expect(html).toContain('msg_console_test');
      expect(html).toContain('HTTP 500 &lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).not.toContain('<script>alert(1)');
    } finally {
      await fixture.app.db.deleteFrom('event_delivery').where('webhook_id', '=', 'msg_console_test').execute();
    }
  });

  it('answers a wrong filter, cursor or date with a 400 naming the field, never with the unfiltered list', async () => {
    const { cookie } = await signIn();
    const wrong: [string, string][] = [
      ['/events?source=bogus', 'Source: not one of meta, dialog360, digital99'],
      ['/events.csv?source=bogus', 'Source: not one of meta, dialog360, digital99'],
      ['/events?before=garbage', 'Older: not a page of this list'],
      ['/events?from=2026-02-31T10:00', 'From: not a date and time'],
      ['/events?to=2026-12-01%2010:00', 'Until: not a date and time'],
      [`/entity/meta/waba/${fixture.hostileWabaId}?at=yesterday`, 'As of: not a date and time'],
      ['/runs?outcome=bogus', 'Outcome: not one of running, complete, failed'],
      ['/runs?source=nope', 'Source: not one of meta, dialog360, digital99'],
      ['/runs?before=abc', 'Older: not a run id'],
    ];
    for (const [path, message] of wrong) {
      const answer = await get(path, cookie);
      expect([path, answer.status]).toEqual([path, 400]);
      expect(await answer.text()).toContain(message);
    }
    expect((await get('/events?source=meta', cookie)).status).toBe(200);
    expect((await get('/reports/0000-01/report.csv', cookie)).status).toBe(404);
    expect((await get('/reports/0000-01', cookie)).status).toBe(404);
  });

  it('keeps the millisecond of an “as of” moment, so showing the form again shows the same state', async () => {
    const { cookie } = await signIn();
    const path = `/entity/meta/waba/${fixture.hostileWabaId}`;
    const first = await fixture.app.db.selectFrom('entity_version').select('valid_from').where('source', '=', 'meta').where('kind', '=', 'waba').where('key', '=', fixture.hostileWabaId).orderBy('valid_from').executeTakeFirstOrThrow();
    const page = await (await get(`${path}?at=${encodeURIComponent(first.valid_from)}`, cookie)).text();
    const value = /name="at" type="datetime-local" step="0.001" value="([^"]+)"/.exec(page)![1]!;
    expect(value).toBe(first.valid_from.slice(0, 23));
    const again = await (await get(`${path}?at=${encodeURIComponent(value)}`, cookie)).text();
    expect(again).not.toContain('It did not exist then');
    expect(again).toContain('Version valid from');
  });

  it('an entity with more versions than the page lists: its first sighting and its state long ago are still right', async () => {
    const { cookie } = await signIn();
    const run = await fixture.app.db.selectFrom('sync_run').select('id').orderBy('id').executeTakeFirstOrThrow();
    const hour = (i: number) => new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString();
    const versions = Array.from({ length: 600 }, (_, i) => ({
      source: 'meta',
      kind: 'waba',
      key: 'probe-waba',
      data: JSON.stringify({ id: 'probe-waba', name: `Probe ${i}` }),
      hash: `h${i}`,
      valid_from: hour(i),
      valid_to: i === 599 ? null : hour(i + 1),
      run_from: run.id,
      run_to: i === 599 ? null : run.id,
    }));
    for (let i = 0; i < versions.length; i += 100) await fixture.app.db.insertInto('entity_version').values(versions.slice(i, i + 100)).execute();
    try {
      const page = await (await get('/entity/meta/waba/probe-waba', cookie)).text();
      expect(page).toContain('History (the latest 500 of 600 versions)');
      expect(page).not.toContain('first seen');
      expect(page).toContain('the oldest listed');
      const early = await (await get(`/entity/meta/waba/probe-waba?at=${encodeURIComponent('2025-01-02T00:30:00Z')}`, cookie)).text();
      expect(early).toContain('Probe 24');
      expect(early).not.toContain('It did not exist then');
      const before = await (await get(`/entity/meta/waba/probe-waba?at=${encodeURIComponent('2024-12-31T00:00:00Z')}`, cookie)).text();
      expect(before).toContain('It did not exist then (first seen 2025-01-01 00:00:00)');
    } finally {
      await fixture.app.db.deleteFrom('entity_version').where('key', '=', 'probe-waba').execute();
    }
  });

  it('says when a list is cut: a name matching 500 entities or more, an entity with more than 200 events; an export that would be cut is refused', async () => {
    const run = await fixture.app.db.selectFrom('sync_run').select('id').orderBy('id').executeTakeFirstOrThrow();
    const at = new Date().toISOString();
    const keys = Array.from({ length: 501 }, (_, i) => `cap-${i}`);
    const rows = keys.map((key, i) => ({ source: 'meta', kind: 'waba', key, data: JSON.stringify({ id: key, name: `Capped Bakery ${i}` }), hash: `cap${i}`, valid_from: at, valid_to: null, run_from: run.id, run_to: null }));
    for (let i = 0; i < rows.length; i += 100) await fixture.app.db.insertInto('entity_version').values(rows.slice(i, i + 100)).execute();
    const events = Array.from({ length: 201 }, (_, i) => ({ type: 'waba.changed', source: 'meta', key: 'cap-0', at: new Date(Date.parse(at) + i).toISOString(), run_id: run.id, before: null, after: JSON.stringify({ id: 'cap-0' }), changes: null }));
    for (let i = 0; i < events.length; i += 100) await fixture.app.db.insertInto('event').values(events.slice(i, i + 100)).execute();
    const { app } = await buildConsole({ app: fixture.app, settings: fixture.app.config.console!, syncNow: async () => null, onError: () => undefined });
    try {
      const session = await injectedSession(app);
      const page = (url: string) => app.inject({ method: 'GET', url, headers: { cookie: session } });
      const list = await page('/events?q=Capped%20Bakery');
      expect(list.statusCode).toBe(200);
      expect(list.body).toContain('The name matches 500 entities or more');
      const csv = await page('/events.csv?q=Capped%20Bakery');
      expect(csv.statusCode).toBe(400);
      expect(csv.body).toContain('Name, id or number: it matches 500 entities or more');
      expect((await page('/events?q=Capped%20Bakery%2012')).body).not.toContain('entities or more');
      const entity = await page('/entity/meta/waba/cap-0');
      expect(entity.body).toContain('The latest 200;');
      expect(entity.body.match(/<td>waba\.changed<\/td>/g)).toHaveLength(200);
    } finally {
      await app.close();
      await fixture.app.db.deleteFrom('event').where('key', '=', 'cap-0').execute();
      await fixture.app.db.deleteFrom('entity_version').where('key', 'in', keys).execute();
    }
  });

  it('answers a malformed address with the security headers, in plain text', async () => {
    const answer = await fetch(`${fixture.url}/entity/a/b/%E0%A4%A`, { redirect: 'manual' });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await answer.text()).toBe('bad request');
  });

  it('shows the next scheduled runs in TIMEZONE, as its heading says', async () => {
    const config = { ...fixture.app.config, timezone: 'Asia/Jerusalem', fullSyncCron: '0 3 * * *', syncCron: '30 9 * * *' };
    const { app } = await buildConsole({ app: { ...fixture.app, config }, settings: config.console!, syncNow: async () => null, onError: () => undefined });
    try {
      const session = await injectedSession(app);
      const html = (await app.inject({ method: 'GET', url: '/', headers: { cookie: session } })).body;
      expect(html).toContain('Next scheduled runs (Asia/Jerusalem)');
      expect(html).toMatch(/<code>0 3 \* \* \*<\/code><\/span><\/td><td>\d{4}-\d\d-\d\d 03:00<\/td>/);
      expect(html).toMatch(/<code>30 9 \* \* \*<\/code><\/span><\/td><td>\d{4}-\d\d-\d\d 09:30<\/td>/);
    } finally {
      await app.close();
    }
  });

  it('throttles an address after five failed sign-ins, even with the right password then', async () => {
    for (let i = 0; i < 5; i++) await signIn('wrong');
    expect((await signIn()).status).toBe(429);
  });

});

describe('the sign-in throttle', () => {
  /** A console of its own (its own throttle), and a sign-in form for each attempt, posted when `send` is called. */
  async function console_() {
    const logs = captureLog();
    const { app } = await buildConsole({ app: { ...fixture.app, log: logs.log }, settings: fixture.app.config.console!, syncNow: async () => null, onError: () => undefined });
    const attempt = async (password: string, user = CONSOLE_USER) => {
      const form = await app.inject({ method: 'GET', url: '/login' });
      return () =>
        app
          .inject({
            method: 'POST',
            url: '/login',
            headers: { cookie: String(form.headers['set-cookie']).split(';')[0]!, 'content-type': 'application/x-www-form-urlencoded' },
            payload: new URLSearchParams({ _csrf: /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!, user, password }).toString(),
          })
          .then((answer) => answer.statusCode);
    };
    return { app, attempt, logs };
  }

  it('logs a refused sign-in without a name that is no user’s: it is often a password typed one field too early', async () => {
    const { app, attempt, logs } = await console_();
    try {
      expect(await (await attempt('', 'my secret passphrase 42'))()).toBe(401);
      expect(await (await attempt('wrong'))()).toBe(401);
      expect(logs.text()).not.toContain('my secret passphrase 42');
      expect(logs.lines.filter((line) => line.includes('sign-in refused')).map((line) => JSON.parse(line).user)).toEqual(['(unknown)', CONSOLE_USER]);
    } finally {
      await app.close();
    }
  });

  it('counts guesses sent all at once as they arrive: five are checked, the rest refused, and the right password after them too', async () => {
    const { app, attempt } = await console_();
    try {
      const guesses = await Promise.all(Array.from({ length: 12 }, () => attempt('wrong guess')));
      const statuses = await Promise.all(guesses.map((send) => send()));
      expect(statuses.filter((status) => status === 401)).toHaveLength(5);
      expect(statuses.filter((status) => status === 429)).toHaveLength(7);
      expect(await (await attempt(CONSOLE_PASSWORD))()).toBe(429);
    } finally {
      await app.close();
    }
  });

  it('signing in between guesses does not wipe the address’s failures', async () => {
    const { app, attempt } = await console_();
    try {
      const statuses: number[] = [];
      for (const password of ['a', 'b', 'c', 'd', CONSOLE_PASSWORD, 'e', CONSOLE_PASSWORD]) statuses.push(await (await attempt(password))());
      expect(statuses).toEqual([401, 401, 401, 401, 303, 401, 429]);
    } finally {
      await app.close();
    }
  });
});
