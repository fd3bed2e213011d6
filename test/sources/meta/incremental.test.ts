import { describe, expect, it } from 'vitest';
import { listEvents } from '../../../src/events/query.js';
import { NEWEST_CREATION_TIME } from '../../../src/sources/meta/source.js';
import { currentEntities, metaHarness } from '../../helpers/meta.js';

const DAY = 86_400;

async function newestState(h: Awaited<ReturnType<typeof metaHarness>>): Promise<string | null> {
  const row = await h.app.db
    .selectFrom('source_state')
    .select('value')
    .where('source', '=', 'meta')
    .where('name', '=', NEWEST_CREATION_TIME)
    .executeTakeFirst();
  return row?.value ?? null;
}

async function eventsOf(h: Awaited<ReturnType<typeof metaHarness>>, runId: number | null) {
  return (await listEvents(h.app.db)).filter((e) => e.run_id === runId).map((e) => `${e.type} ${e.key}`);
}

describe('meta: incremental pulls', () => {
  it('lists only client WABAs created after the newest seen minus the lookback, oldest first, and never removes', async () => {
    const h = await metaHarness({ env: { META_INCREMENTAL_LOOKBACK_SECONDS: String(DAY) } });
    const now = () => Math.floor(h.clock().getTime() / 1000);
    const old = h.world.shareWaba({ creation_time: now() - 30 * DAY });
    const recent = h.world.shareWaba({ creation_time: now() - 3600 });
    h.world.addPhoneNumber(recent.id);
    h.world.addOwnedWaba();
    await h.sync('full');
    expect(await newestState(h)).toBe(String(recent.creation_time));

    const fresh = h.world.shareWaba();
    h.world.unshareWaba(old.id);
    const calls = { ...h.world.calls };
    h.world.listRequests.length = 0;
    const result = await h.sync('incremental');

    expect(result).toMatchObject({ mode: 'incremental', outcome: 'complete' });
    expect(await eventsOf(h, result.runId)).toEqual([`waba.shared ${fresh.id}`]);
    expect(h.world.listRequests).toEqual([
      {
        call: 'client_whatsapp_business_accounts',
        filtering: JSON.stringify([{ field: 'creation_time', operator: 'GREATER_THAN', value: String(recent.creation_time - DAY) }]),
        sort: 'creation_time_ascending',
        after: null,
        returned: 2,
        hasNext: false,
      },
    ]);
    // Owned WABAs are not read; phone numbers come nested in the list page, no call of their own.
    expect(h.world.calls.owned_whatsapp_business_accounts).toBe(calls.owned_whatsapp_business_accounts);
    expect(h.world.calls.phone_numbers).toBe(calls.phone_numbers);
    expect(await newestState(h)).toBe(String(fresh.creation_time));

    // Only a full pull reports the unshare.
    const full = await h.sync('full');
    expect(await eventsOf(h, full.runId)).toEqual([`waba.unshared ${old.id}`]);
  });

  it('brings the phone numbers of the WABAs it reads (adds and updates), and leaves removals to the full pull', async () => {
    const h = await metaHarness({ env: { META_PHONE_NUMBERS_PAGE_SIZE: '2' } });
    const now = () => Math.floor(h.clock().getTime() / 1000);
    const old = h.world.shareWaba({ creation_time: now() - 30 * DAY });
    const oldPhone = h.world.addPhoneNumber(old.id);
    const recent = h.world.shareWaba({ creation_time: now() - 3600 });
    const kept = h.world.addPhoneNumber(recent.id);
    const dropped = h.world.addPhoneNumber(recent.id);
    await h.sync('full');

    const fresh = h.world.shareWaba();
    const freshPhones = [0, 1, 2].map(() => h.world.addPhoneNumber(fresh.id)); // more than one nested page
    h.world.updatePhoneNumber(kept.id, { quality_rating: 'YELLOW' });
    h.world.removePhoneNumber(dropped.id);
    h.world.updatePhoneNumber(oldPhone.id, { status: 'FLAGGED' }); // its WABA is outside the window
    const calls = h.world.calls.phone_numbers;
    const incremental = await h.sync('incremental');

    expect(incremental).toMatchObject({ mode: 'incremental', outcome: 'complete' });
    expect((await eventsOf(h, incremental.runId)).sort()).toEqual(
      [`waba.shared ${fresh.id}`, ...freshPhones.map((p) => `phone_number.added ${p.id}`), `phone_number.quality_changed ${kept.id}`].sort(),
    );
    expect(h.world.calls.phone_numbers - calls).toBe(1); // the third number of the fresh WABA
    // Partial coverage: the number taken off a WABA in the window is still there.
    expect((await currentEntities(h.app, 'phone_number')).has(dropped.id)).toBe(true);

    // The full pull finds what the window could not: the removal, and the WABA outside it.
    const full = await h.sync('full');
    expect((await eventsOf(h, full.runId)).sort()).toEqual([`phone_number.removed ${dropped.id}`, `phone_number.status_changed ${oldPhone.id}`].sort());
  });

  it('re-reading the lookback window reports nothing twice, but does report real changes inside it', async () => {
    const h = await metaHarness();
    const a = h.world.shareWaba();
    await h.sync('full');
    const b = h.world.shareWaba();
    const first = await h.sync('incremental');
    expect(await eventsOf(h, first.runId)).toEqual([`waba.shared ${b.id}`]);

    const again = await h.sync('incremental');
    expect(again).toMatchObject({ outcome: 'complete', events: 0 });
    expect(h.world.listRequests.at(-1)!.returned).toBe(2); // a and b re-read, silently

    h.world.setReviewStatus(a.id, 'APPROVED');
    const review = await h.sync('incremental');
    expect(await eventsOf(h, review.runId)).toEqual([`waba.review_status_changed ${a.id}`]);
    const full = await h.sync('full');
    expect(full).toMatchObject({ outcome: 'complete', events: 0 });
  });

  it('cannot see an old WABA shared recently: only the full pull finds it', async () => {
    const h = await metaHarness({ env: { META_INCREMENTAL_LOOKBACK_SECONDS: '3600' } });
    h.world.shareWaba();
    await h.sync('full');
    const years = h.world.shareWaba({ name: 'Created in 2019, shared today', creation_time: 1_560_000_000 });

    const incremental = await h.sync('incremental');
    expect(incremental).toMatchObject({ outcome: 'complete', events: 0 });

    const full = await h.sync('full');
    expect(await eventsOf(h, full.runId)).toEqual([`waba.shared ${years.id}`]);
    // The newest creation_time does not move backwards for an old WABA.
    expect(Number(await newestState(h))).toBeGreaterThan(years.creation_time);
  });

  it('starts with a full pull when there is none yet', async () => {
    const h = await metaHarness();
    h.world.shareWaba();
    h.world.addOwnedWaba();
    const result = await h.sync('incremental');
    expect(result).toMatchObject({ mode: 'full', outcome: 'complete', baseline: true });
    expect(h.world.calls.owned_whatsapp_business_accounts).toBe(1);
  });

  it('keeps the newest creation_time only from complete pulls', async () => {
    const h = await metaHarness();
    const a = h.world.shareWaba();
    await h.sync('full');
    h.world.shareWaba();
    h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'graph_error', code: 100, message: '(#100) Invalid parameter' });
    const failed = await h.sync('incremental');
    expect(failed.outcome).toBe('failed');
    expect(await newestState(h)).toBe(String(a.creation_time));
  });
});
