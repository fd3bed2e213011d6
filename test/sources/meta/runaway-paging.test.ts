/**
 * A Graph API whose paging never ends (issue 12, item 2): a cursor cycle A→B→A, endless empty pages
 * with fresh cursors, endless pages of made-up WABAs, a nested phone-number cycle. Each pull must
 * stop after a bounded number of requests, fail (ledger row failed, exit code 1), emit nothing,
 * make nothing look removed, and count as a failure for the alerts.
 *
 * The fake stops answering (HTTP 500) after LAST_ANSWER requests, so that a client that keeps
 * paging ends too — with a different error and a request count far above what is asserted.
 */
import { describe, expect, it } from 'vitest';
import { openApp } from '../../../src/app.js';
import { type Env, parseConfig } from '../../../src/config.js';
import { listEvents } from '../../../src/events/query.js';
import { evaluateAlerts } from '../../../src/notify/alerts.js';
import { type SimRequest, type SimResponse, startSimulator } from '../../../src/simulator/server.js';
import { createMetaSource } from '../../../src/sources/meta/source.js';
import { runSourcePull } from '../../../src/sync/run-source.js';
import type { RunMode } from '../../../src/sync/types.js';
import { cli } from '../../helpers/cli.js';
import { manualClock } from '../../helpers/clock.js';
import { captureLog } from '../../helpers/log.js';
import { startSmtp } from '../../helpers/smtp.js';
import { tempDbPath } from '../../helpers/temp.js';

const BUSINESS = '1000';
const TOKEN = 'graph-token-Secret';
const LAST_ANSWER = 400;

type Behaviour = 'good' | 'cycle' | 'empty' | 'endless' | 'phone-cycle';

/** A Graph fake that serves the client list as `behaviour` says; owned WABAs are always none. */
function hostileGraph() {
  const state = { behaviour: 'good' as Behaviour, requests: 0, goodPages: 2 };
  const waba = (n: number, extra: Record<string, unknown> = {}) => ({ id: String(5000 + n), name: `WABA ${n}`, creation_time: 1_700_000_000 + n, ...extra });
  const page = (request: SimRequest, data: unknown[], next: string | null, path = `/v25.0/${BUSINESS}/client_whatsapp_business_accounts`): SimResponse => ({
    status: 200,
    body: { data, ...(next === null ? {} : { paging: { cursors: { after: next }, next: `${request.baseUrl}${path}?limit=100&after=${next}` } }) },
  });
  const handler = (request: SimRequest): SimResponse => {
    state.requests += 1;
    if (state.requests > LAST_ANSWER) return { status: 500, body: { error: { message: 'the fake stopped answering', code: 1 } } };
    const after = request.query.get('after');
    if (request.path === `/v25.0/${BUSINESS}/owned_whatsapp_business_accounts`) return { status: 200, body: { data: [] } };
    if (request.path === '/v25.0/5001/phone_numbers') {
      // Only reached through the nested cursor of the phone-cycle behaviour: A → B → A.
      const phone = (n: number) => ({ id: String(9000 + n), display_phone_number: `+1 555 000 ${n}` });
      return after === 'A' ? page(request, [phone(2)], 'B', request.path) : page(request, [phone(3)], 'A', request.path);
    }
    if (request.path !== `/v25.0/${BUSINESS}/client_whatsapp_business_accounts`) return { status: 404, body: { error: { message: 'unknown path', code: 803 } } };
    const n = after === null ? 1 : Number(after.replace(/\D/g, '')) || 0;
    switch (state.behaviour) {
      case 'good':
        return page(request, [waba(n)], n < state.goodPages ? `p${n + 1}` : null);
      case 'cycle':
        // page 1 → A → B → A → …
        if (after === null) return page(request, [waba(1)], 'A');
        return after === 'A' ? page(request, [waba(2)], 'B') : page(request, [waba(3)], 'A');
      case 'empty':
        // A real first page, then empty pages forever, each with a fresh cursor.
        return after === null ? page(request, [waba(1)], 'e2') : page(request, [], `e${n + 1}`);
      case 'endless':
        // A made-up WABA on every page, forever.
        return page(request, [waba(n)], `p${n + 1}`);
      case 'phone-cycle': {
        const nested = { data: [{ id: '9001', display_phone_number: '+1 555 000 1' }], paging: { next: `${request.baseUrl}/v25.0/5001/phone_numbers?limit=100&after=A` } };
        return page(request, [waba(1, { phone_numbers: nested })], null);
      }
    }
  };
  return { state, handler };
}

async function setup(env: Env = {}) {
  const graph = hostileGraph();
  const sim = await startSimulator({ '/meta': graph.handler });
  const clock = manualClock();
  const logs = captureLog();
  const baseEnv: Env = {
    DATABASE_URL: tempDbPath(),
    META_GRAPH_URL: sim.urlOf('/meta'),
    META_ACCESS_TOKEN: TOKEN,
    META_BUSINESS_ID: BUSINESS,
    META_CONCURRENCY: '1',
    HTTP_RETRIES: '1',
    HTTP_RETRY_BASE_MS: '1',
    ...env,
  };
  const app = await openApp(parseConfig(baseEnv), { clock, log: logs.log });
  const sync = async (mode: RunMode = 'full', overrides: Env = {}) => {
    clock.advance(60_000);
    const config = parseConfig({ ...baseEnv, ...overrides });
    const source = createMetaSource({ config: config.meta!, http: config.http, sleep: async () => undefined });
    return runSourcePull({ db: app.db, clock, log: logs.log }, source, mode);
  };
  const wabaKeys = async () =>
    (await app.db.selectFrom('entity_version').select('key').where('source', '=', 'meta').where('kind', '=', 'waba').where('valid_to', 'is', null).execute())
      .map((row) => row.key)
      .sort();
  const close = async () => {
    await app.close();
    await sim.close();
  };
  return { graph, sim, clock, app, env: baseEnv, sync, wabaKeys, close };
}

/** After a baseline of WABAs 5001 and 5002, one pull against `behaviour`: what a user would see. */
async function hostilePull(behaviour: Behaviour, env: Env = {}) {
  const s = await setup(env);
  try {
    const baseline = await s.sync();
    expect(baseline).toMatchObject({ outcome: 'complete', baseline: true });
    s.graph.state.behaviour = behaviour;
    s.graph.state.requests = 0;
    const result = await s.sync();
    const requests = s.graph.state.requests;
    const run = await s.app.db.selectFrom('sync_run').selectAll().where('id', '=', result.runId!).executeTakeFirstOrThrow();
    const events = (await listEvents(s.app.db)).filter((event) => event.run_id === result.runId);
    const alerts = await evaluateAlerts(s.app.db, s.clock(), { afterFailures: 1, to: ['oncall@example.com'], sources: ['meta'] });
    return { result, requests, run, events, alerts, wabas: await s.wabaKeys(), staged: await s.app.db.selectFrom('pull_item').select('key').execute() };
  } finally {
    await s.close();
  }
}

function expectFailedQuietly(outcome: Awaited<ReturnType<typeof hostilePull>>) {
  expect(outcome.run).toMatchObject({ outcome: 'failed' });
  expect(outcome.result.events).toBe(0);
  expect(outcome.events).toEqual([]);
  expect(outcome.staged).toEqual([]);
  // Nothing looks removed: the baseline's WABAs are still current.
  expect(outcome.wabas).toEqual(['5001', '5002']);
  expect(outcome.alerts.map((alert) => alert.kind)).toEqual(['failing']);
  expect(outcome.alerts[0]!.email.subject).toContain('meta full pulls failed');
}

describe('meta: paging that never ends fails the pull after a bounded number of requests', () => {
  it('a cursor cycle A→B→A fails at the first repeated cursor, naming it', async () => {
    const outcome = await hostilePull('cycle');
    expect(outcome.result).toMatchObject({ outcome: 'failed', errorCode: 'INCONSISTENT' });
    expect(outcome.result.error).toBe(
      'meta client_whatsapp_business_accounts page 3: paging.next leads back to page 2 (cursor "A"): a cursor cycle; stopping instead of looping',
    );
    expect(outcome.requests).toBe(3);
    expectFailedQuietly(outcome);
  });

  it('endless empty pages with fresh cursors fail after META_MAX_EMPTY_PAGES in a row', async () => {
    const outcome = await hostilePull('empty', { META_MAX_EMPTY_PAGES: '5' });
    expect(outcome.result).toMatchObject({ outcome: 'failed', errorCode: 'LIMIT' });
    expect(outcome.result.error).toBe(
      'meta client_whatsapp_business_accounts page 6: 5 empty pages in a row, each with paging.next (META_MAX_EMPTY_PAGES=5); stopping instead of paging on',
    );
    expect(outcome.requests).toBe(6); // the first page, then five empty ones
    expectFailedQuietly(outcome);
  });

  it('endless empty pages stop at the default of 10 in a row', async () => {
    const outcome = await hostilePull('empty');
    expect(outcome.result).toMatchObject({ outcome: 'failed', errorCode: 'LIMIT' });
    expect(outcome.result.error).toContain('10 empty pages in a row');
    expect(outcome.requests).toBe(11);
  });

  it('endless pages of new WABAs stop at the listing cap: META_MAX_PAGES, or a multiple of the last full pull', async () => {
    const floor = await hostilePull('endless', { META_MAX_PAGES: '20' });
    expect(floor.result).toMatchObject({ outcome: 'failed', errorCode: 'LIMIT' });
    expect(floor.result.error).toBe(
      'meta client_whatsapp_business_accounts page 21: the listing reached its cap of 20 pages (META_MAX_PAGES=20) and still has paging.next; stopping instead of paging on (raise META_MAX_PAGES if the fleet really is this large)',
    );
    expect(floor.requests).toBe(20);
    expectFailedQuietly(floor);

    // The baseline read two pages: a factor of 15 allows 30 pages, above the floor of 20.
    const grown = await hostilePull('endless', { META_MAX_PAGES: '20', META_MAX_PAGES_FACTOR: '15' });
    expect(grown.result.error).toBe(
      'meta client_whatsapp_business_accounts page 31: the listing reached its cap of 30 pages (META_MAX_PAGES_FACTOR=15 × 2 pages in the last complete full pull) and still has paging.next; stopping instead of paging on (raise META_MAX_PAGES if the fleet really is this large)',
    );
    expect(grown.requests).toBe(30);
  });

  it('a nested phone-number cursor cycle fails the pull, naming the WABA', async () => {
    const outcome = await hostilePull('phone-cycle');
    expect(outcome.result).toMatchObject({ outcome: 'failed', errorCode: 'INCONSISTENT' });
    expect(outcome.result.error).toBe(
      'meta phone_numbers (WABA 5001) page 3: paging.next leads back to page 2 (cursor "A"): a cursor cycle; stopping instead of looping',
    );
    expect(outcome.requests).toBe(1 + 2); // the client page with the nested first page, then A and B
    expectFailedQuietly(outcome);
  });

  it('an incremental pull is capped by the last full pull too', async () => {
    const s = await setup({ META_MAX_PAGES: '3', META_MAX_PAGES_FACTOR: '1' });
    try {
      expect(await s.sync('full')).toMatchObject({ outcome: 'complete' });
      s.graph.state.behaviour = 'endless';
      s.graph.state.requests = 0;
      const result = await s.sync('incremental');
      expect(result).toMatchObject({ outcome: 'failed', mode: 'incremental', errorCode: 'LIMIT' });
      expect(result.error).toContain('(creation_time > ');
      expect(result.error).toContain('cap of 3 pages');
      expect(s.graph.state.requests).toBe(3);
    } finally {
      await s.close();
    }
  });

  it('a fleet within the caps still completes, and its page count raises the next cap', async () => {
    const s = await setup({ META_MAX_PAGES: '3', META_MAX_PAGES_FACTOR: '2' });
    try {
      s.graph.state.goodPages = 3;
      expect(await s.sync()).toMatchObject({ outcome: 'complete', entities: 3 });
      // Five pages now: above the floor of 3, within 2 × the 3 pages just read.
      s.graph.state.goodPages = 5;
      expect(await s.sync()).toMatchObject({ outcome: 'complete', entities: 5 });
    } finally {
      await s.close();
    }
  });

  it('`npm run sync` exits 1 and the alert is mailed', async () => {
    const smtp = await startSmtp();
    const s = await setup();
    try {
      const env = { ...s.env, ...smtp.env, MAIL_FROM: 'waba-sync@example.com', ALERT_TO: 'oncall@example.com', ALERT_AFTER_FAILURES: '1' };
      s.graph.state.behaviour = 'cycle';
      const run = await cli(['sync'], env, { clock: s.clock });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('meta failed: meta client_whatsapp_business_accounts page 3: paging.next leads back to page 2');
      expect(s.graph.state.requests).toBe(3);
      expect(smtp.mails.map((mail) => mail.parsed.subject)).toEqual(['[waba-sync] meta full pulls failed 1 times in a row']);
    } finally {
      await s.close();
    }
  });
});
