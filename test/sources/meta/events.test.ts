import { describe, expect, it } from 'vitest';
import { listEvents } from '../../../src/events/query.js';
import { currentEntities, metaHarness } from '../../helpers/meta.js';

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
  });
});
