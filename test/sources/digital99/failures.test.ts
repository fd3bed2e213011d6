import { describe, expect, it } from 'vitest';
import { listEvents } from '../../../src/events/query.js';
import { kindAt } from '../../../src/history.js';
import { digital99Harness, type Digital99Harness } from '../../helpers/digital99.js';

async function currentState(h: Digital99Harness) {
  const at = new Date(h.clock().getTime() + 1);
  return {
    onboardings: await kindAt(h.app.db, 'digital99', 'onboarding', at),
    numbers: await kindAt(h.app.db, 'digital99', 'number', at),
  };
}

async function fleetWithPendingChanges(h: Digital99Harness) {
  const a = h.world.addOnboarding();
  const b = h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
  expect((await h.sync()).outcome).toBe('complete');
  // Changes that the failing pulls must not report, and the next good pull must report once.
  h.world.finishOnboarding(a.onboarding_link);
  h.world.removeNumber(b.whatsapp);
  return { a, b };
}

describe('99digital: a failed or cut-short pull costs nothing', () => {
  it.each([
    ['malformed JSON', { kind: 'malformed', call: 'getWhatsApp' } as const, /getWhatsApp: response is not valid JSON/],
    ['a list item whose status cannot be read', { kind: 'corrupt', call: 'getAccounts', index: 1, field: 'status', value: 'done' } as const, /getAccounts: list\[1\] \(onboarding_link "https:\/\/onboarding\.direct\/\d+"\) field status/],
    ['a number without its counters', { kind: 'corrupt', call: 'getWhatsApp', index: 0, field: 'marketingThisMonth', value: null } as const, /getWhatsApp: list\[0\] \(whatsapp "\d+"\) field marketingThisMonth/],
    ['an answer without the list', { kind: 'drop_list', call: 'getAccounts' } as const, /getAccounts: field list: missing/],
    ['a numbers list cut short (fewer than its totalWhatsApp)', { kind: 'truncate_list', call: 'getWhatsApp', keep: 0 } as const, /getWhatsApp: the list has 0 numbers but totalWhatsApp says 1: the answer looks cut short/],
    ['HTTP 503 on every attempt', { kind: 'http', call: 'getWhatsApp', status: 503, times: 3 } as const, /getWhatsApp: HTTP 503 \(after retries\)/],
  ])('%s: the pull fails naming the call and field, nothing changes, the next pull reports the changes once', async (_name, fault, message) => {
    const h = await digital99Harness();
    const { a, b } = await fleetWithPendingChanges(h);
    const before = await currentState(h);
    const eventsBefore = await listEvents(h.app.db);

    h.world.inject(fault);
    const failed = await h.sync();

    expect(failed.outcome).toBe('failed');
    expect(failed.error).toMatch(message);
    expect(await listEvents(h.app.db)).toEqual(eventsBefore);
    expect(await currentState(h)).toEqual(before);
    const staged = await h.app.db.selectFrom('pull_item').select('run_id').execute();
    expect(staged).toEqual([]);

    const good = await h.sync();
    expect(good.outcome).toBe('complete');
    const fresh = (await listEvents(h.app.db)).filter((e) => e.run_id === good.runId);
    expect(fresh.map((e) => `${e.type} ${e.key}`).sort()).toEqual(
      [`onboarding.completed ${a.onboarding_link}`, `number.added ${h.world.onboarding(a.onboarding_link).whatsapp}`, `number.removed ${b.whatsapp}`].sort(),
    );
    expect((await h.sync()).events).toBe(0);
  });

  it('DIGITAL99_SHORT_LIST=record: a list shorter than its total is recorded as a data check and taken as it is', async () => {
    const h = await digital99Harness({ env: { DIGITAL99_SHORT_LIST: 'record' } });
    h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    const cut = h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    await h.sync();
    h.world.inject({ kind: 'truncate_list', call: 'getWhatsApp', keep: 1 });
    const result = await h.sync();
    expect(result.outcome).toBe('complete');
    const checks = await h.app.db.selectFrom('data_check').select(['check', 'detail']).where('run_id', '=', result.runId!).execute();
    expect(checks).toContainEqual({ check: 'totals_sum', detail: 'totalWhatsApp 2 ≠ 1 from the list' });
    const events = (await listEvents(h.app.db)).filter((e) => e.run_id === result.runId);
    expect(events.map((e) => `${e.type} ${e.key}`)).toEqual([`number.removed ${cut.whatsapp}`]);
  });

  it('retries a transient 5xx and counts every attempt as an API call', async () => {
    const h = await digital99Harness();
    h.world.addOnboarding();
    h.world.inject({ kind: 'http', call: 'getAccounts', status: 502 });
    const result = await h.sync();
    expect(result.outcome).toBe('complete');
    expect(h.world.calls).toEqual({ accessToken: 1, getAccounts: 2, getWhatsApp: 1 });
    expect(result.apiCalls).toBe(4);
    expect(result.retries).toBe(1);
  });

  it('an aborted pull (shutdown) is recorded as failed and applies nothing', async () => {
    const h = await digital99Harness();
    h.world.addOnboarding();
    await h.sync();
    h.world.addOnboarding();
    h.world.inject({ kind: 'latency', call: 'getWhatsApp', ms: 2_000 });
    const controller = new AbortController();
    const pending = (async () => {
      h.clock.advance(60_000);
      const { runSourcePull } = await import('../../../src/sync/run-source.js');
      return runSourcePull({ db: h.app.db, clock: h.clock, log: h.logs.log, signal: controller.signal }, h.app.sources.get('digital99')!, 'full');
    })();
    while (!h.world.calls.getWhatsApp) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    const result = await pending;
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'ABORTED' });
    expect((await listEvents(h.app.db)).map((e) => e.type)).toEqual(['sync.baseline']);
  });
});

describe('99digital: the access token', () => {
  it('is reused across pulls while valid and renewed before it expires', async () => {
    const h = await digital99Harness();
    await h.sync();
    await h.sync();
    expect(h.world.calls.accessToken).toBe(1);
    h.clock.advance(56 * 60_000); // within five minutes of the hour: renew before it expires
    await h.sync();
    expect(h.world.calls.accessToken).toBe(2);
  });

  it('expiring mid-run is renewed once and the call retried', async () => {
    const h = await digital99Harness();
    h.world.addOnboarding();
    // The provider drops our token between the two data calls of one pull.
    h.world.inject({ kind: 'expire_tokens', call: 'getWhatsApp' });
    const result = await h.sync();
    expect(result.outcome).toBe('complete');
    expect(h.world.calls).toEqual({ accessToken: 2, getAccounts: 1, getWhatsApp: 2 });
  });

  it('a token that keeps being rejected fails the pull after one renewal, without looping', async () => {
    const h = await digital99Harness();
    h.world.inject({ kind: 'reason', call: 'getAccounts', reason: 3, times: 10 });
    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'AUTH' });
    expect(result.error).toMatch(/digital99 getAccounts: access token missing or expired \(reason 3\)/);
    expect(h.world.calls).toEqual({ accessToken: 2, getAccounts: 2 });
  });

  it('a token refused in other words — HTTP 401, or reason 2 on a data call — is dropped and renewed once, not sent again pull after pull', async () => {
    const h = await digital99Harness();
    h.world.addOnboarding();
    await h.sync();
    expect(h.world.calls.accessToken).toBe(1);
    h.world.inject({ kind: 'http', call: 'getAccounts', status: 401 });
    expect(await h.sync()).toMatchObject({ outcome: 'complete' });
    expect(h.world.calls.accessToken).toBe(2);
    h.world.inject({ kind: 'reason', call: 'getAccounts', reason: 2 });
    expect(await h.sync()).toMatchObject({ outcome: 'complete' });
    expect(h.world.calls.accessToken).toBe(3);
    // Refused again right after a renewal: the pull fails (no loop), and the next pull starts with a fresh token.
    h.world.inject({ kind: 'http', call: 'getAccounts', status: 403, times: 2 });
    expect(await h.sync()).toMatchObject({ outcome: 'failed', errorCode: 'AUTH' });
    expect(h.world.calls.accessToken).toBe(4);
    expect(await h.sync()).toMatchObject({ outcome: 'complete' });
    expect(h.world.calls.accessToken).toBe(5);
  });

  it('wrong credentials: one token attempt per run, a clear message, nothing stored', async () => {
    const h = await digital99Harness({ env: { DIGITAL99_CLIENT_SECRET: 'wrong-secret' } });
    const first = await h.sync();
    expect(first).toMatchObject({ outcome: 'failed', errorCode: 'AUTH', baseline: false });
    expect(first.error).toBe(
      'digital99 accessToken: wrong client id or client secret (reason 2): check DIGITAL99_CLIENT_ID and DIGITAL99_CLIENT_SECRET',
    );
    expect(h.world.calls).toEqual({ accessToken: 1 });

    // The daemon's next pulls within the hour don't ask again: repeated wrong tries get the IP blocked.
    const second = await h.sync();
    expect(second).toMatchObject({ outcome: 'failed', errorCode: 'AUTH' });
    expect(second.error).toMatch(/wrong client id or client secret \(reason 2\).* — not asked again before 2026-11-01 09:01 UTC, to avoid an IP block \(restart to try at once\)/);
    expect(h.world.calls).toEqual({ accessToken: 1 });

    h.clock.advance(60 * 60_000);
    await h.sync();
    expect(h.world.calls).toEqual({ accessToken: 2 });
    // A restart (e.g. with fixed credentials) tries at once.
    await h.restart();
    await h.sync();
    expect(h.world.calls).toEqual({ accessToken: 3 });
    expect(await listEvents(h.app.db)).toEqual([]);
  });

  it('a refusal spelt "Fail", as the docs also write it, is read as one: wrong credentials, no second token request in the pull', async () => {
    const h = await digital99Harness();
    h.world.inject({ kind: 'reason', call: 'accessToken', reason: 2, status: 'Fail' });
    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'AUTH' });
    expect(result.error).toContain('wrong client id or client secret (reason 2)');
    expect(h.world.calls.accessToken).toBe(1);
  });

  it('an IP block (reason 3 on the token request) is reported as such and not retried', async () => {
    const h = await digital99Harness();
    h.world.inject({ kind: 'reason', call: 'accessToken', reason: 3, times: 5 });
    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'BLOCKED' });
    expect(result.error).toMatch(/IP is blocked/);
    expect(h.world.calls).toEqual({ accessToken: 1 });
  });
});
