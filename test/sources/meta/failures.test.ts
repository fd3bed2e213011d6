import { describe, expect, it } from 'vitest';
import { listEvents } from '../../../src/events/query.js';
import { currentEntities, metaHarness } from '../../helpers/meta.js';

describe('meta: a pull that fails on any page changes nothing', () => {
  it('a page failing mid-pull: no unshare, no event, no state; the next good pull emits exactly the pending changes', async () => {
    const h = await metaHarness({ env: { META_PAGE_SIZE: '2', META_CONCURRENCY: '1' } });
    const wabas = Array.from({ length: 5 }, (_, i) => h.world.shareWaba({ creation_time: 1_700_000_000 + i }));
    await h.sync();
    const before = await currentEntities(h.app, 'waba');

    h.world.unshareWaba(wabas[4]!.id);
    const fresh = h.world.shareWaba();
    // Page 2 of the client list keeps failing: every retry too.
    h.world.inject({ call: 'client_whatsapp_business_accounts', skip: 1, times: 10, kind: 'http', status: 503 });
    const failed = await h.sync();

    expect(failed).toMatchObject({ outcome: 'failed', errorCode: 'UNAVAILABLE', events: 0 });
    expect(failed.error).toBe('meta client_whatsapp_business_accounts page 2: Meta is unavailable (HTTP 503); gave up after 2 retries');
    expect(await currentEntities(h.app, 'waba')).toEqual(before);
    expect((await listEvents(h.app.db)).filter((e) => e.run_id === failed.runId)).toEqual([]);
    const staged = await h.app.db.selectFrom('pull_item').select('key').execute();
    expect(staged).toEqual([]);

    h.world.clearFaults();
    const good = await h.sync();
    const events = (await listEvents(h.app.db)).filter((e) => e.run_id === good.runId).map((e) => `${e.type} ${e.key}`);
    expect(events.sort()).toEqual([`waba.shared ${fresh.id}`, `waba.unshared ${wabas[4]!.id}`].sort());
  });

  it('a failing further page of phone numbers fails the whole pull, and the other chains stop staging', async () => {
    // One WABA per list page and one number per nested page: every WABA needs two more pages.
    const h = await metaHarness({ env: { META_CONCURRENCY: '3', META_PAGE_SIZE: '1', META_PHONE_NUMBERS_PAGE_SIZE: '1' } });
    for (let i = 0; i < 8; i++) {
      const waba = h.world.shareWaba({ creation_time: 1_700_000_000 + i * 60 });
      for (let p = 0; p < 3; p++) h.world.addPhoneNumber(waba.id);
    }
    const baseline = await h.sync();
    expect(baseline).toMatchObject({ outcome: 'complete' });
    expect(h.world.calls.phone_numbers).toBe(8 * 2);
    const target = [...h.world.clients.items][5]!;
    const phone = h.world.phoneNumbers.get(target.id)![0]!;
    h.world.updatePhoneNumber(phone.id, { quality_rating: 'RED' });
    h.world.inject({ call: 'phone_numbers', skip: 4, kind: 'graph_error', code: 100, message: '(#100) Invalid parameter' });

    const failed = await h.sync();
    expect(failed).toMatchObject({ outcome: 'failed', errorCode: 'UPSTREAM' });
    expect(failed.error).toMatch(/^meta phone_numbers \(WABA \d+\) page [23]: request refused \(HTTP 400, Graph error 100: \(#100\) Invalid parameter \[fbtrace_id /);
    expect(await h.app.db.selectFrom('pull_item').select('key').execute()).toEqual([]);
    expect((await currentEntities(h.app, 'phone_number')).get(phone.id)).toMatchObject({ quality_rating: 'GREEN' });
  });

  it('retries 5xx and timeouts-in-kind with backoff, then completes', async () => {
    const h = await metaHarness({ env: { HTTP_RETRIES: '3' } });
    h.world.shareWaba();
    h.world.inject({ call: 'client_whatsapp_business_accounts', times: 2, kind: 'http', status: 502 });
    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'complete' });
    expect(h.world.calls.client_whatsapp_business_accounts).toBe(3);
    expect(h.sleeps.slice(0, 2)).toEqual([5, 10]);
  });

  it('retries a timed-out page, and names the page when it keeps timing out', async () => {
    const h = await metaHarness({ env: { HTTP_TIMEOUT_MS: '400', HTTP_RETRIES: '1' } });
    h.world.shareWaba();
    h.world.inject({ call: 'owned_whatsapp_business_accounts', kind: 'latency', ms: 1200 });
    const recovered = await h.sync();
    expect(recovered).toMatchObject({ outcome: 'complete' });
    expect(h.world.calls.owned_whatsapp_business_accounts).toBe(2);

    h.world.inject({ call: 'owned_whatsapp_business_accounts', kind: 'latency', ms: 1200, times: 2 });
    const failed = await h.sync();
    expect(failed).toMatchObject({ outcome: 'failed', errorCode: 'UNAVAILABLE' });
    expect(failed.error).toMatch(/^meta owned_whatsapp_business_accounts page 1: timed out after 400 ms/);
  });

  it('a dead token fails the source at once: no retries, a message saying to replace it', async () => {
    const h = await metaHarness({ env: { HTTP_RETRIES: '5' } });
    h.world.shareWaba();
    await h.sync();
    h.world.expireToken();

    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'AUTH', apiCalls: 1 });
    expect(result.error).toMatch(
      /^meta client_whatsapp_business_accounts page 1: the Meta token is invalid or expired and must be replaced \(HTTP 400, Graph error 190\/463: Error validating access token: Session has expired/,
    );
    expect(result.error).not.toContain(h.world.accessToken);
    expect(h.logs.text()).not.toContain(h.world.accessToken);
    expect(h.sleeps).toEqual([]);
  });

  it('a wrong token (102 too) is the same dead-token failure', async () => {
    const h = await metaHarness();
    h.world.inject({ call: '*', kind: 'graph_error', code: 102, message: 'Session key invalid or no longer valid' });
    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'AUTH', apiCalls: 1 });
    expect(result.error).toContain('the Meta token is invalid or expired and must be replaced');
  });

  it('a permission error names the permission Meta names', async () => {
    const h = await metaHarness();
    h.world.inject({ call: 'owned_whatsapp_business_accounts', kind: 'graph_error', code: 200, message: '(#200) Requires whatsapp_business_management permission to manage the object' });
    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'PERMISSION', apiCalls: 2 });
    expect(result.error).toMatch(/^meta owned_whatsapp_business_accounts page 1: missing permission whatsapp_business_management \(HTTP 400, Graph error 200: /);

    h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'graph_error', code: 10, message: '(#10) Application does not have permission for this action' });
    const other = await h.sync();
    expect(other.error).toMatch(/page 1: permission denied: check the system user's assets and permissions/);
  });

  it('a page that is not JSON or an item that cannot be read fails the pull naming the page and the field', async () => {
    const h = await metaHarness();
    h.world.shareWaba();
    h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'malformed' });
    const malformed = await h.sync();
    expect(malformed).toMatchObject({ outcome: 'failed', errorCode: 'PAYLOAD' });
    expect(malformed.error).toMatch(/^meta client_whatsapp_business_accounts page 1: response is not valid JSON \(HTTP 200, \d+ bytes\)$/);

    const waba = h.world.clients.items[0]!;
    const phone = h.world.addPhoneNumber(waba.id);
    h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'corrupt', index: 0, field: 'phone_numbers', value: { data: [{ ...phone, id: 'not-an-id' }] } });
    const corrupt = await h.sync();
    expect(corrupt.error).toBe(`meta client_whatsapp_business_accounts page 1: WABA ${waba.id} phone_numbers.data[0] (id "not-an-id") field id: expected a numeric id`);

    // A further page (beyond the nested one) is named as its own page.
    h.world.addPhoneNumber(waba.id);
    h.world.inject({ call: 'phone_numbers', kind: 'corrupt', index: 0, field: 'id', value: 'not-an-id' });
    const further = await h.sync('full', { META_PHONE_NUMBERS_PAGE_SIZE: '1' });
    expect(further.error).toBe(`meta phone_numbers (WABA ${waba.id}) page 2: data[0] (id "not-an-id") field id: expected a numeric id`);
  });
});

describe('meta: throttling', () => {
  it('waits as long as Meta estimates, then goes on', async () => {
    const h = await metaHarness();
    h.world.shareWaba();
    h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'throttle', code: 80008, regainMinutes: 3 });
    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'complete' });
    expect(h.world.calls.client_whatsapp_business_accounts).toBe(2);
    expect(Math.max(...h.sleeps)).toBeGreaterThanOrEqual(3 * 60_000);
  });

  it.each([4, 17, 32, 613])('treats Graph code %i as throttling', async (code) => {
    const h = await metaHarness();
    h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'throttle', code, regainMinutes: 1 });
    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'complete' });
    expect(Math.max(...h.sleeps)).toBeGreaterThanOrEqual(60_000);
  });

  it('honours HTTP 429 with Retry-After-less envelopes too, and gives up after the bounded retries', async () => {
    const h = await metaHarness({ env: { HTTP_RETRIES: '2' } });
    h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'throttle', status: 429, code: 4, times: 5 });
    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'THROTTLED' });
    expect(result.error).toMatch(/^meta client_whatsapp_business_accounts page 1: throttled by Meta \(HTTP 429, Graph error 4: .*\); gave up after 2 retries$/);
    expect(h.world.calls.client_whatsapp_business_accounts).toBe(3);
  });

  it('fails instead of waiting longer than META_THROTTLE_MAX_WAIT_SECONDS', async () => {
    const h = await metaHarness({ env: { META_THROTTLE_MAX_WAIT_SECONDS: '120' } });
    h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'throttle', regainMinutes: 60 });
    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'THROTTLED', apiCalls: 1 });
    expect(result.error).toContain('Meta asks to wait 60 min, longer than META_THROTTLE_MAX_WAIT_SECONDS (120 s)');
  });

  it('slows down before the quota runs out when the usage headers climb', async () => {
    const h = await metaHarness({ env: { META_PAGE_SIZE: '1', META_CONCURRENCY: '1' } });
    for (let i = 0; i < 8; i++) h.world.shareWaba({ creation_time: 1_700_000_000 + i });
    await h.sync();
    expect(h.sleeps).toEqual([]);

    h.world.usage = { app: 95, business: 40, regainMinutes: 0 };
    await h.sync();
    // Requests after the first high reading waited (8 client pages, 1 owned); the gaps grow with usage.
    expect(h.sleeps.length).toBeGreaterThan(4);
    expect(Math.min(...h.sleeps)).toBeGreaterThan(0);

    const atNinetyFive = Math.max(...h.sleeps);
    h.sleeps.length = 0;
    h.world.usage = { app: 70, business: 99, regainMinutes: 0 };
    await h.sync();
    expect(Math.max(...h.sleeps)).toBeGreaterThan(atNinetyFive);
  });
});
