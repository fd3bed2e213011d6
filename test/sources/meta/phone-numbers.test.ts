import { describe, expect, it } from 'vitest';
import { listEvents } from '../../../src/events/query.js';
import { currentEntities, metaHarness } from '../../helpers/meta.js';

const N = 2;

async function eventsOf(h: Awaited<ReturnType<typeof metaHarness>>, runId: number | null) {
  return (await listEvents(h.app.db)).filter((e) => e.run_id === runId).map((e) => `${e.type} ${e.key}`);
}

describe('meta: phone numbers come with the client WABA list (field expansion)', () => {
  it('no call per WABA with at most N numbers; exactly the further pages of a WABA with 2N+1', async () => {
    const h = await metaHarness({ env: { META_PAGE_SIZE: '3', META_PHONE_NUMBERS_PAGE_SIZE: String(N), META_CONCURRENCY: '1' } });
    const wabas = Array.from({ length: 7 }, (_, i) => h.world.shareWaba({ creation_time: 1_700_000_000 + i }));
    const counts = [0, 1, N, 2 * N + 1, 1, 0, N];
    const expected = new Map<string, string>();
    wabas.forEach((waba, i) => {
      for (let p = 0; p < counts[i]!; p++) expected.set(h.world.addPhoneNumber(waba.id).id, waba.id);
    });
    h.world.addOwnedWaba();

    const result = await h.sync();

    expect(result).toMatchObject({ outcome: 'complete' });
    // Only the WABA with 2N+1 numbers had calls of its own: its pages 2 and 3.
    expect(h.world.phoneNumberCalls).toEqual(new Map([[wabas[3]!.id, 2]]));
    expect(result.apiCalls).toBe(3 + 1 + 2); // ceil(7/3) client pages, one owned page, two further pages
    const stored = await currentEntities(h.app, 'phone_number');
    expect(new Map([...stored].map(([key, data]) => [key, (data as { waba_id: string }).waba_id]))).toEqual(expected);
  });

  it('reads a WABA without numbers alike whether Graph leaves the edge out or sends it empty', async () => {
    for (const emptyEdges of ['omit', 'empty'] as const) {
      const h = await metaHarness({ emptyEdges });
      const none = h.world.shareWaba();
      const one = h.world.shareWaba();
      const phone = h.world.addPhoneNumber(one.id);
      const result = await h.sync();
      expect(result).toMatchObject({ outcome: 'complete', apiCalls: 2 });
      expect([...(await currentEntities(h.app, 'phone_number')).keys()]).toEqual([phone.id]);
      expect(h.world.phoneNumberCalls.has(none.id)).toBe(false);
    }
  });

  it('an empty nested page with next is not the end of that WABA’s numbers', async () => {
    const h = await metaHarness({ env: { META_PHONE_NUMBERS_PAGE_SIZE: String(N) } });
    const waba = h.world.shareWaba();
    const other = h.world.shareWaba();
    const phones = [0, 1, 2].map(() => h.world.addPhoneNumber(waba.id));
    const otherPhone = h.world.addPhoneNumber(other.id);
    h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'empty_nested', wabaId: waba.id });

    const result = await h.sync();

    expect(result.error).toBeUndefined();
    expect([...(await currentEntities(h.app, 'phone_number')).keys()].sort()).toEqual([...phones, otherPhone].map((p) => p.id).sort());
    // The empty nested page's next restarts at the first number: two pages of N for three numbers.
    expect(h.world.phoneNumberCalls).toEqual(new Map([[waba.id, 2]]));
  });

  it('every phone_number event type, with numbers that span nested and further pages', async () => {
    const h = await metaHarness({ env: { META_PHONE_NUMBERS_PAGE_SIZE: String(N), META_PAGE_SIZE: '2' } });
    const big = h.world.shareWaba({ creation_time: 1_700_000_000 });
    const small = h.world.shareWaba({ creation_time: 1_700_000_100 });
    const leaving = h.world.shareWaba({ creation_time: 1_700_000_200 });
    const bigPhones = Array.from({ length: 2 * N + 1 }, () => h.world.addPhoneNumber(big.id));
    const smallPhone = h.world.addPhoneNumber(small.id);
    const leavingPhone = h.world.addPhoneNumber(leaving.id);
    await h.sync();

    // Changes on the nested page and on the last further page of `big`.
    h.world.updatePhoneNumber(bigPhones[0]!.id, { quality_rating: 'RED' });
    h.world.updatePhoneNumber(bigPhones[2 * N]!.id, { status: 'FLAGGED' });
    const smallName = smallPhone.verified_name;
    h.world.updatePhoneNumber(smallPhone.id, { is_on_biz_app: true, verified_name: 'Coexisting' });
    h.world.removePhoneNumber(bigPhones[1]!.id);
    const added = h.world.addPhoneNumber(big.id);
    h.world.unshareWaba(leaving.id);
    const result = await h.sync();

    expect(result.error).toBeUndefined();
    expect((await eventsOf(h, result.runId)).sort()).toEqual(
      [
        `phone_number.quality_changed ${bigPhones[0]!.id}`,
        `phone_number.status_changed ${bigPhones[2 * N]!.id}`,
        `phone_number.changed ${smallPhone.id}`,
        `phone_number.removed ${bigPhones[1]!.id}`,
        `phone_number.added ${added.id}`,
        `phone_number.removed ${leavingPhone.id}`,
        `waba.unshared ${leaving.id}`,
      ].sort(),
    );
    const changed = (await listEvents(h.app.db)).find((e) => e.run_id === result.runId && e.key === smallPhone.id)!;
    expect(changed.changes).toEqual({ is_on_biz_app: { from: false, to: true }, verified_name: { from: smallName, to: 'Coexisting' } });
  });

  it('a further page failing mid-pull fails the pull: nothing removed, nothing emitted; the next pull catches up', async () => {
    const h = await metaHarness({ env: { META_PHONE_NUMBERS_PAGE_SIZE: String(N) } });
    const big = h.world.shareWaba();
    const small = h.world.shareWaba();
    Array.from({ length: 2 * N + 1 }, () => h.world.addPhoneNumber(big.id));
    const gone = h.world.addPhoneNumber(small.id);
    await h.sync();
    const before = await currentEntities(h.app, 'phone_number');

    h.world.removePhoneNumber(gone.id);
    h.world.inject({ call: 'phone_numbers', skip: 1, times: 10, kind: 'http', status: 503 });
    const failed = await h.sync();

    expect(failed).toMatchObject({ outcome: 'failed', errorCode: 'UNAVAILABLE', events: 0 });
    expect(failed.error).toBe(`meta phone_numbers (WABA ${big.id}) page 3: Meta is unavailable (HTTP 503); gave up after 2 retries`);
    expect(await currentEntities(h.app, 'phone_number')).toEqual(before);
    expect(await eventsOf(h, failed.runId)).toEqual([]);

    h.world.clearFaults();
    const good = await h.sync();
    expect(await eventsOf(h, good.runId)).toEqual([`phone_number.removed ${gone.id}`]);
  });

  it('a malformed nested envelope fails the pull, naming the WABA and the field', async () => {
    const h = await metaHarness();
    const waba = h.world.shareWaba();
    h.world.addPhoneNumber(waba.id);
    await h.sync();

    for (const value of [{ data: 'none' }, null, [], { data: [], paging: { next: '' } }]) {
      h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'corrupt', index: 0, field: 'phone_numbers', value });
      const failed = await h.sync();
      expect(failed).toMatchObject({ outcome: 'failed', errorCode: 'PAYLOAD', events: 0 });
      expect(failed.error).toMatch(new RegExp(`^meta client_whatsapp_business_accounts page 1: data\\[0\\] \\(id "${waba.id}"\\) field phone_numbers`));
    }
    expect((await currentEntities(h.app, 'phone_number')).size).toBe(1);
  });

  it('a next of a nested page that leaves META_GRAPH_URL is refused', async () => {
    const h = await metaHarness();
    const waba = h.world.shareWaba();
    const phone = h.world.addPhoneNumber(waba.id);
    h.world.inject({
      call: 'client_whatsapp_business_accounts',
      kind: 'corrupt',
      index: 0,
      field: 'phone_numbers',
      value: { data: [phone], paging: { next: 'https://elsewhere.example/v25.0/1/phone_numbers?after=x' } },
    });
    const failed = await h.sync();
    expect(failed).toMatchObject({ outcome: 'failed', errorCode: 'PAYLOAD' });
    expect(failed.error).toBe(`meta phone_numbers (WABA ${waba.id}) page 1: paging.next points outside META_GRAPH_URL (https://elsewhere.example/v25.0/1/phone_numbers)`);
  });
});

describe('meta: retries and usage reach the core', () => {
  it('counts each retry in RunResult.retries', async () => {
    const h = await metaHarness({ env: { HTTP_RETRIES: '3', META_PHONE_NUMBERS_PAGE_SIZE: '1' } });
    const waba = h.world.shareWaba();
    h.world.addPhoneNumber(waba.id);
    h.world.addPhoneNumber(waba.id);
    h.world.inject({ call: 'client_whatsapp_business_accounts', times: 2, kind: 'http', status: 502 });
    h.world.inject({ call: 'phone_numbers', kind: 'throttle', regainMinutes: 0 });
    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'complete', retries: 3 });
    // 3 client-list attempts, 2 further-page attempts, 1 owned page.
    expect(result.apiCalls).toBe(3 + 2 + 1);
  });

  it('reports X-App-Usage and the highest X-Business-Use-Case-Usage per field as percentages', async () => {
    const h = await metaHarness();
    h.world.shareWaba();
    h.world.usage = { app: 42, business: 77, regainMinutes: 0 };
    await h.sync();
    const last = new Map(h.usage.map((u) => [`${u.source} ${u.metric}`, u.percent]));
    expect(Object.fromEntries(last)).toEqual({
      'meta app_call_count': 42,
      'meta app_total_cputime': 21,
      'meta app_total_time': 21,
      'meta buc_call_count': 77,
      'meta buc_total_cputime': 38,
      'meta buc_total_time': 38,
    });
  });
});
