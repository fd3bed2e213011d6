import { describe, expect, it } from 'vitest';
import { listEvents } from '../../../src/events/query.js';
import { currentEntities, metaHarness } from '../../helpers/meta.js';
import { runTargetedPull } from '../../../src/sync/run-source.js';

describe('meta: baseline and every event type', () => {
  it('stores the first complete pull as a baseline: client and owned WABAs, phone numbers with their waba_id', async () => {
    const h = await metaHarness();
    const a = h.world.shareWaba({ name: 'Acme' });
    const b = h.world.shareWaba({ name: 'Bakery' });
    h.world.addOwnedWaba({ name: 'Partner test account' });
    const phone = h.world.addPhoneNumber(a.id);
    h.world.addPhoneNumber(b.id);

    const result = await h.sync();

    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ outcome: 'complete', baseline: true, events: 1 });
    const events = await listEvents(h.app.db);
    expect(events.map((e) => [e.type, e.key])).toEqual([['sync.baseline', 'meta']]);
    expect(events[0]!.after).toEqual({ entities: { waba: 2, owned_waba: 1, phone_number: 2 } });
    const phones = await currentEntities(h.app, 'phone_number');
    expect(phones.get(phone.id)).toMatchObject({ id: phone.id, waba_id: a.id, quality_rating: 'GREEN', status: 'CONNECTED' });
    const wabas = await currentEntities(h.app, 'waba');
    expect(wabas.get(a.id)).toMatchObject({ id: a.id, name: 'Acme', account_review_status: 'PENDING', creation_time: a.creation_time });
    // Its pages were read on the App's page thread, which stays up a moment after the last one.
    expect(h.app.pages.running).toBe(true);
    expect(h.app.pages.failed).toBeNull();
  });
});

describe('meta: each change is one event of its own type', () => {
  it('reports shares, unshares, review decisions, other WABA changes, owned WABAs and phone numbers', async () => {
    const h = await metaHarness();
    const reviewed = h.world.shareWaba({ name: 'Acme', account_review_status: 'PENDING' });
    const renamed = h.world.shareWaba({ name: 'Old name' });
    const leaving = h.world.shareWaba({ name: 'Leaving' });
    const ownedStays = h.world.addOwnedWaba({ name: 'Own A', account_review_status: 'PENDING' });
    const ownedGoes = h.world.addOwnedWaba({ name: 'Own B' });
    const quality = h.world.addPhoneNumber(reviewed.id);
    const flagged = h.world.addPhoneNumber(reviewed.id, { verified_name: 'Flag brand' });
    const verified = h.world.addPhoneNumber(renamed.id, { verified_name: 'Old brand' });
    const dropped = h.world.addPhoneNumber(renamed.id);
    const leavingPhone = h.world.addPhoneNumber(leaving.id);
    await h.sync();

    const fresh = h.world.shareWaba({ name: 'Fresh' });
    const freshPhone = h.world.addPhoneNumber(fresh.id);
    h.world.unshareWaba(leaving.id);
    h.world.setReviewStatus(reviewed.id, 'APPROVED');
    h.world.updateWaba(renamed.id, { name: 'New name', whatsapp_business_manager_messaging_limit: 'TIER_2K' });
    h.world.setReviewStatus(ownedStays.id, 'APPROVED');
    h.world.removeOwnedWaba(ownedGoes.id);
    const ownedNew = h.world.addOwnedWaba({ name: 'Own C' });
    h.world.updatePhoneNumber(quality.id, { quality_rating: 'YELLOW' });
    h.world.updatePhoneNumber(flagged.id, { status: 'FLAGGED', quality_rating: 'RED', verified_name: 'Renamed brand' });
    h.world.updatePhoneNumber(verified.id, { verified_name: 'New brand' });
    h.world.removePhoneNumber(dropped.id);
    const result = await h.sync();
    expect(result.error).toBeUndefined();

    const events = (await listEvents(h.app.db)).filter((e) => e.run_id === result.runId);
    const lines = events.map((e) => `${e.type} ${e.key} ${JSON.stringify(e.changes)}`);
    expect([...lines].sort()).toEqual(
      [
        `waba.shared ${fresh.id} null`,
        `waba.unshared ${leaving.id} null`,
        `waba.review_status_changed ${reviewed.id} {"account_review_status":{"from":"PENDING","to":"APPROVED"}}`,
        `waba.changed ${renamed.id} {"name":{"from":"Old name","to":"New name"},"whatsapp_business_manager_messaging_limit":{"from":"TIER_250","to":"TIER_2K"}}`,
        `waba.review_status_changed ${ownedStays.id} {"account_review_status":{"from":"PENDING","to":"APPROVED"}}`,
        `waba.owned_removed ${ownedGoes.id} null`,
        `waba.owned_added ${ownedNew.id} null`,
        `phone_number.added ${freshPhone.id} null`,
        `phone_number.quality_changed ${quality.id} {"quality_rating":{"from":"GREEN","to":"YELLOW"}}`,
        `phone_number.quality_changed ${flagged.id} {"quality_rating":{"from":"GREEN","to":"RED"}}`,
        `phone_number.status_changed ${flagged.id} {"status":{"from":"CONNECTED","to":"FLAGGED"}}`,
        `phone_number.changed ${flagged.id} {"verified_name":{"from":"Flag brand","to":"Renamed brand"}}`,
        `phone_number.changed ${verified.id} {"verified_name":{"from":"Old brand","to":"New brand"}}`,
        `phone_number.removed ${dropped.id} null`,
        // The numbers of an unshared WABA leave with it.
        `phone_number.removed ${leavingPhone.id} null`,
      ].sort(),
    );

    // Events come kind by kind: client WABAs, owned WABAs, then phone numbers.
    const kinds = events.map((e) => (e.type.startsWith('phone_number.') ? 2 : e.type.includes('owned') || [ownedStays.id].includes(e.key) ? 1 : 0));
    expect(kinds).toEqual([...kinds].sort());
    const shared = events.find((e) => e.type === 'waba.shared')!;
    expect(shared.after).toMatchObject({ id: fresh.id, name: 'Fresh', creation_time: fresh.creation_time, owner_business_info: fresh.owner_business_info });
    const review = events.find((e) => e.key === reviewed.id)!;
    expect(review.before).toMatchObject({ account_review_status: 'PENDING', name: 'Acme' });
    expect(review.after).toMatchObject({ account_review_status: 'APPROVED', name: 'Acme' });
    expect(events.find((e) => e.key === freshPhone.id)!.after).toMatchObject({ waba_id: fresh.id });

    // Review status came with the listings: never one call per WABA.
    expect(h.world.calls.waba).toBe(0);
  });

  it('stores ids as strings whether Graph quotes them or not', async () => {
    const h = await metaHarness();
    const waba = h.world.shareWaba();
    const phone = h.world.addPhoneNumber(waba.id);
    // Unquoted ids on the WABA and on its nested phone number, and a field we did not ask for.
    h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'corrupt', index: 0, field: 'id', value: Number(waba.id) });
    const result = await h.sync();
    expect(result.error).toBeUndefined();
    h.world.inject({
      call: 'client_whatsapp_business_accounts',
      kind: 'corrupt',
      index: 0,
      field: 'phone_numbers',
      value: { data: [{ ...phone, id: Number(phone.id), creation_time: 'ignored' }] },
    });
    const again = await h.sync();
    expect(again).toMatchObject({ outcome: 'complete', events: 0 });
    const wabas = await currentEntities(h.app, 'waba');
    expect([...wabas.keys()]).toEqual([waba.id]);
    expect(wabas.get(waba.id)).toMatchObject({ id: waba.id });
    const phones = await currentEntities(h.app, 'phone_number');
    expect([...phones.keys()]).toEqual([phone.id]);
    expect(phones.get(phone.id)).not.toHaveProperty('creation_time');
  });
});

describe('meta: a webhook reads its WABAs by id', () => {
  it("stores a client WABA's numbers and leaves an owned WABA's alone, even one Graph sends malformed", async () => {
    const h = await metaHarness();
    const client = h.world.shareWaba({ name: 'Acme' });
    const owned = h.world.addOwnedWaba({ name: 'Partner test account' });
    await h.sync();
    const phone = h.world.addPhoneNumber(client.id);
    // Not a boolean: a client WABA's number like this would fail the pull (PAYLOAD).
    h.world.addPhoneNumber(owned.id, { is_on_biz_app: 'sometimes' as never });
    h.world.updateWaba(owned.id, { name: 'Partner test account (renamed)' });
    h.clock.advance(60_000);

    const result = await runTargetedPull({ db: h.app.db, clock: h.clock, log: h.logs.log }, h.source(), { targets: [`waba:${client.id}`, `waba:${owned.id}`] });

    expect(result).toMatchObject({ outcome: 'complete', eventTypes: { 'phone_number.added': 1, 'waba.changed': 1 } });
    expect((await currentEntities(h.app, 'phone_number')).get(phone.id)).toMatchObject({ waba_id: client.id });
    expect((await currentEntities(h.app, 'owned_waba')).get(owned.id)).toMatchObject({ name: 'Partner test account (renamed)' });
  });

  it('an owned WABA held on behalf of a client stays owned when a webhook reads it: no share, no numbers, and the next poll reports nothing back', async () => {
    const h = await metaHarness();
    h.world.shareWaba({ name: 'Client' });
    const obo = h.world.addOwnedWaba({ name: 'On behalf of a client', ownership_type: 'ON_BEHALF_OF' });
    h.world.addPhoneNumber(obo.id);
    await h.sync();
    h.world.setReviewStatus(obo.id, 'REJECTED');
    h.clock.advance(60_000);
    const targeted = await runTargetedPull({ db: h.app.db, clock: h.clock, log: h.logs.log }, h.source(), { targets: [`waba:${obo.id}`] });
    expect(targeted).toMatchObject({ outcome: 'complete' });
    expect(Object.keys(targeted!.eventTypes)).not.toContain('waba.shared');
    expect([...(await currentEntities(h.app, 'waba')).keys()]).not.toContain(obo.id);
    expect((await currentEntities(h.app, 'owned_waba')).get(obo.id)).toMatchObject({ account_review_status: 'REJECTED' });
    expect([...(await currentEntities(h.app, 'phone_number')).values()].map((phone) => (phone as { waba_id?: string }).waba_id)).not.toContain(obo.id);
    h.clock.advance(60_000);
    expect(await h.sync()).toMatchObject({ outcome: 'complete', events: 0 });
  });
});
