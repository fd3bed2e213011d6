/**
 * A 360dialog Partner API whose `total` can't be true, or whose pages stop matching it (issue 12,
 * items 2 and 5): a first page of 3 rows claiming 20,000, a total of 2^53−1 or above
 * DIALOG360_MAX_ROWS, full first pages followed by empty ones. Each pull must stop after a few
 * requests, fail (ledger row failed, exit code 1), emit nothing, make nothing look removed, and
 * count as a failure for the alerts.
 *
 * The fake stops answering (HTTP 500) after LAST_ANSWER requests, so that a client that believes
 * the total ends too — with a different error and a request count far above what is asserted.
 */
import { describe, expect, it } from 'vitest';
import { openApp } from '../../../src/app.js';
import { type Env, parseConfig } from '../../../src/config.js';
import { listEvents } from '../../../src/events/query.js';
import { evaluateAlerts } from '../../../src/notify/alerts.js';
import { type SimRequest, type SimResponse, startSimulator } from '../../../src/simulator/server.js';
import { runSourcePull } from '../../../src/sync/run-source.js';
import { cli } from '../../helpers/cli.js';
import { manualClock } from '../../helpers/clock.js';
import { captureLog } from '../../helpers/log.js';
import { startSmtp } from '../../helpers/smtp.js';
import { tempDbPath } from '../../helpers/temp.js';

const PREFIX = '/360dialog/api/v2';
const PARTNER = 'partner-1';
const LAST_ANSWER = 300;

type Behaviour = 'good' | 'short-first' | 'huge-total' | 'above-cap' | 'empty-after-first' | 'tiny-pages';

/** A Partner API fake: channels are always two good rows; clients as `behaviour` says. */
function hostilePartner() {
  const state = { behaviour: 'good' as Behaviour, requests: 0 };
  const client = (n: number) => ({ id: `c${String(n).padStart(7, '0')}`, name: `Client ${n}`, status: 'active', created_at: '2026-01-01T00:00:00Z' });
  const channel = (n: number) => ({ id: `ch${n}`, client_id: 'c0000001', status: 'running', created_at: '2026-01-01T00:00:00Z' });
  const answer = (field: string, rows: unknown[], total: number, limit: number, offset: number): SimResponse => ({
    status: 200,
    body: { count: rows.length, limit, offset, total, [field]: rows },
  });
  const handler = (request: SimRequest): SimResponse => {
    const limit = Number(request.query.get('limit'));
    const offset = Number(request.query.get('offset'));
    const rows = (from: number, count: number) => Array.from({ length: Math.max(0, count) }, (_, i) => client(from + i));
    // The channels are read side by side with the clients: only the clients' requests are counted.
    if (request.path === `/partners/${PARTNER}/channels`) return answer('partner_channels', [channel(1), channel(2)].slice(offset, offset + limit), 2, limit, offset);
    if (request.path !== `/partners/${PARTNER}/clients`) return { status: 404, body: { detail: 'not found' } };
    state.requests += 1;
    if (state.requests > LAST_ANSWER) return { status: 500, body: { detail: 'the fake stopped answering' } };
    switch (state.behaviour) {
      case 'good':
        return answer('clients', rows(offset + 1, Math.min(limit, 2 - offset)), 2, limit, offset);
      case 'short-first':
        // Three rows, though the page holds ten and the list is said to have 20,000.
        return answer('clients', rows(offset + 1, offset === 0 ? 3 : limit), 20_000, limit, offset);
      case 'huge-total':
        return answer('clients', rows(offset + 1, limit), Number.MAX_SAFE_INTEGER, limit, offset);
      case 'above-cap':
        return answer('clients', rows(offset + 1, limit), 5_000_000, limit, offset);
      case 'tiny-pages':
        // Pages of two rows, as the server says, through a list of 999,999 (within DIALOG360_MAX_ROWS).
        return answer('clients', rows(offset + 1, 2), 999_999, 2, offset);
      case 'empty-after-first':
        // A full first page of a list of 1,000, then every other page empty.
        return answer('clients', offset === 0 ? rows(1, limit) : [], 1000, limit, offset);
    }
  };
  return { state, handler };
}

async function setup(env: Env = {}) {
  const partner = hostilePartner();
  const sim = await startSimulator({ [PREFIX]: partner.handler });
  const clock = manualClock();
  const logs = captureLog();
  const baseEnv: Env = {
    DATABASE_URL: tempDbPath(),
    DIALOG360_API_URL: sim.urlOf(PREFIX),
    DIALOG360_API_KEY: 'partner-key-Secret',
    DIALOG360_PARTNER_ID: PARTNER,
    DIALOG360_PAGE_SIZE: '10',
    HTTP_RETRIES: '1',
    HTTP_RETRY_BASE_MS: '1',
    ...env,
  };
  const app = await openApp(parseConfig(baseEnv), { clock, log: logs.log });
  const sync = async () => {
    clock.advance(60_000);
    return runSourcePull({ db: app.db, clock, log: logs.log }, app.sources.get('dialog360')!, 'full');
  };
  const clientKeys = async () =>
    (await app.db.selectFrom('entity_version').select('key').where('source', '=', 'dialog360').where('kind', '=', 'client').where('valid_to', 'is', null).execute())
      .map((row) => row.key)
      .sort();
  const close = async () => {
    await app.close();
    await sim.close();
  };
  return { partner, clock, app, env: baseEnv, sync, clientKeys, close };
}

/** After a baseline of two clients, one pull against `behaviour`: what a user would see. */
async function hostilePull(behaviour: Behaviour, env: Env = {}) {
  const s = await setup(env);
  try {
    expect(await s.sync()).toMatchObject({ outcome: 'complete', baseline: true });
    s.partner.state.behaviour = behaviour;
    s.partner.state.requests = 0;
    const result = await s.sync();
    const requests = s.partner.state.requests;
    const run = await s.app.db.selectFrom('sync_run').selectAll().where('id', '=', result.runId!).executeTakeFirstOrThrow();
    const events = (await listEvents(s.app.db)).filter((event) => event.run_id === result.runId);
    const alerts = await evaluateAlerts(s.app.db, s.clock(), { afterFailures: 1, to: ['oncall@example.com'], sources: ['dialog360'] });
    return { result, requests, run, events, alerts, clients: await s.clientKeys() };
  } finally {
    await s.close();
  }
}

function expectFailedQuietly(outcome: Awaited<ReturnType<typeof hostilePull>>) {
  expect(outcome.run).toMatchObject({ outcome: 'failed' });
  expect(outcome.result.events).toBe(0);
  expect(outcome.events).toEqual([]);
  expect(outcome.clients).toEqual(['c0000001', 'c0000002']); // nothing looks removed
  expect(outcome.alerts.map((alert) => alert.kind)).toEqual(['failing']);
}

describe('360dialog: a total that cannot be true is not believed', () => {
  it('a first page of 3 rows claiming 20,000 ends each sweep there: one request per sweep', async () => {
    const outcome = await hostilePull('short-first');
    expect(outcome.result).toMatchObject({ outcome: 'failed', errorCode: 'INCONSISTENT' });
    const reason = 'first page: page at offset 0 has 3 rows, expected 10 of 20000';
    expect(outcome.result.error).toBe(
      `dialog360 listClients: the list kept changing while it was read, 3 sweeps (DIALOG360_SWEEP_ATTEMPTS): sweep 1: ${reason}; sweep 2: ${reason}; sweep 3: ${reason}`,
    );
    expect(outcome.requests).toBe(3);
    expectFailedQuietly(outcome);
  });

  it('a total of 2^53−1 fails at once, naming DIALOG360_MAX_ROWS, without building offsets', async () => {
    const outcome = await hostilePull('huge-total');
    expect(outcome.result).toMatchObject({ outcome: 'failed', errorCode: 'LIMIT' });
    expect(outcome.result.error).toBe(
      'dialog360 listClients: total says 9007199254740991 rows, more than DIALOG360_MAX_ROWS (1000000); not paging through it (raise DIALOG360_MAX_ROWS if the list really is this long)',
    );
    expect(outcome.requests).toBe(1);
    expectFailedQuietly(outcome);
  });

  it('a total above DIALOG360_MAX_ROWS fails at once; a lower cap is honoured', async () => {
    const above = await hostilePull('above-cap');
    expect(above.result).toMatchObject({ outcome: 'failed', errorCode: 'LIMIT' });
    expect(above.requests).toBe(1);
    expectFailedQuietly(above);

    const lowered = await hostilePull('empty-after-first', { DIALOG360_MAX_ROWS: '999' });
    expect(lowered.result.error).toContain('total says 1000 rows, more than DIALOG360_MAX_ROWS (999)');
    expect(lowered.requests).toBe(1);
  });

  it('a server paging by 2 through a long list fails at once: the pages, not just the rows, are capped', async () => {
    const outcome = await hostilePull('tiny-pages');
    expect(outcome.result).toMatchObject({ outcome: 'failed', errorCode: 'LIMIT' });
    expect(outcome.result.error).toBe(
      "dialog360 listClients: 999999 rows at the server's page size of 2 take 500000 pages, more than the 100000 that DIALOG360_MAX_ROWS (1000000) takes at DIALOG360_PAGE_SIZE (10); not paging through it",
    );
    expect(outcome.requests).toBe(1);
    expectFailedQuietly(outcome);
  });

  it('full first pages followed by empty ones: each sweep stops at the first short page', async () => {
    const outcome = await hostilePull('empty-after-first', { DIALOG360_CONCURRENCY: '2', DIALOG360_SWEEP_ATTEMPTS: '3' });
    expect(outcome.result).toMatchObject({ outcome: 'failed', errorCode: 'INCONSISTENT' });
    expect(outcome.result.error).toMatch(/^dialog360 listClients: the list kept changing while it was read, 3 sweeps \(DIALOG360_SWEEP_ATTEMPTS\): sweep 1: page at offset \d+ has 0 rows, expected 10 of 1000/);
    // Each sweep: its newest page, the first page below it (empty), and perhaps the one asked for
    // ahead of it (cancelled as the sweep stops, it may not have reached the server).
    expect(outcome.requests).toBeGreaterThanOrEqual(3 * 2);
    expect(outcome.requests).toBeLessThanOrEqual(3 * 3);
    expectFailedQuietly(outcome);
  });

  it('`npm run sync` exits 1 and the alert is mailed', async () => {
    const smtp = await startSmtp();
    const s = await setup();
    try {
      const env = { ...s.env, ...smtp.env, MAIL_FROM: 'waba-sync@example.com', ALERT_TO: 'oncall@example.com', ALERT_AFTER_FAILURES: '1' };
      s.partner.state.behaviour = 'short-first';
      const run = await cli(['sync'], env, { clock: s.clock });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('dialog360 failed: dialog360 listClients: the list kept changing while it was read, 3 sweeps');
      expect(run.stdout).toContain('first page: page at offset 0 has 3 rows, expected 10 of 20000');
      expect(s.partner.state.requests).toBe(3);
      expect(smtp.mails.map((mail) => mail.parsed.subject)).toEqual(['[waba-sync] dialog360 full pulls failed 1 times in a row']);
    } finally {
      await s.close();
    }
  });
});
