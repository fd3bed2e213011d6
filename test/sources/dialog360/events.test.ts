import { describe, expect, it } from 'vitest';
import { listEvents } from '../../../src/events/query.js';
import { dialog360Harness } from '../../helpers/dialog360.js';

describe('360dialog: baseline and every event type', () => {
  it('stores the first complete pull as a baseline with one sync.baseline event', async () => {
    const h = await dialog360Harness();
    const acme = h.world.addClient({ name: 'Acme' });
    h.world.addChannel({ client_id: acme.id });
    h.world.addChannel({ client_id: acme.id });
    h.world.addClient({ name: 'No channels yet' });

    const result = await h.sync();

    expect(result).toMatchObject({ outcome: 'complete', baseline: true, events: 1 });
    const events = await listEvents(h.app.db);
    expect(events.map((e) => [e.type, e.key])).toEqual([['sync.baseline', 'dialog360']]);
    expect(events[0]!.after).toEqual({ entities: { client: 2, channel: 2 } });
    // Its pages were read on the App's page thread, which stays up a moment after the last one.
    expect(h.app.pages.running).toBe(true);
    expect(h.app.pages.failed).toBeNull();
  });

  it('keeps channel fields under upstream names, with the phone number and the Meta WABA id', async () => {
    const h = await dialog360Harness();
    const channel = h.world.addChannel({
      setup_info: { phone_number: '4915112345678', phone_name: 'Acme Support' },
      waba_account: { id: 'wabaCH01', external_id: '348728345238956', fb_account_status: 'verified' },
    });
    await h.sync();
    h.world.removeChannel(channel.id);
    const result = await h.sync();

    const [removed] = (await listEvents(h.app.db)).filter((e) => e.run_id === result.runId);
    expect(removed!.type).toBe('channel.removed');
    expect(removed!.before).toEqual({
      id: channel.id,
      client_id: channel.client_id,
      status: 'ready',
      account_mode: 'live',
      current_limit: 'TIER_1K',
      current_quality_rating: 'High',
      availability_status: 'ready',
      created_at: channel.created_at,
      terminated_at: null,
      cancelled_at: null,
      setup_info: { phone_number: '4915112345678', phone_name: 'Acme Support' },
      waba_account: { id: 'wabaCH01', external_id: '348728345238956', fb_account_status: 'verified' },
    });
  });

  it('reports each kind of change once, as its own event type', async () => {
    const h = await dialog360Harness();
    const acme = h.world.addClient({ name: 'Acme' });
    const leaving = h.world.addClient({ name: 'Leaving Ltd' });
    const onboarding = h.world.addChannel({ client_id: acme.id, status: 'created', availability_status: 'setting_up', hub_status: 'draft' });
    const busy = h.world.addChannel({ client_id: acme.id });
    const tiered = h.world.addChannel({ client_id: acme.id, current_limit: 'TIER_1K' });
    const renamed = h.world.addChannel({ client_id: acme.id });
    const gone = h.world.addChannel({ client_id: leaving.id });
    await h.sync();

    h.world.updateClient(acme.id, { name: 'Acme GmbH' });
    h.world.removeClient(leaving.id);
    h.world.removeChannel(gone.id);
    const newcomer = h.world.addClient({ name: 'Newcomer' });
    const fresh = h.world.addChannel({ client_id: newcomer.id });
    h.world.setStatus(onboarding.id, 'ready');
    h.world.setAvailability(onboarding.id, 'ready');
    h.world.setQuality(busy.id, 'Low');
    h.world.setLimit(tiered.id, 'TIER_10K');
    h.world.updateChannel(renamed.id, { setup_info: { ...renamed.setup_info, phone_name: 'New name' } });
    const result = await h.sync();

    expect(result.outcome).toBe('complete');
    const events = (await listEvents(h.app.db)).filter((e) => e.run_id === result.runId);
    const summary = events.map((e) => `${e.type} ${e.key} ${JSON.stringify(e.changes)}`);
    expect([...summary].sort()).toEqual(
      [
        `client.changed ${acme.id} {"name":{"from":"Acme","to":"Acme GmbH"}}`,
        `client.removed ${leaving.id} null`,
        `client.added ${newcomer.id} null`,
        `channel.removed ${gone.id} null`,
        `channel.added ${fresh.id} null`,
        `channel.status_changed ${onboarding.id} {"status":{"from":"created","to":"ready"}}`,
        `channel.availability_changed ${onboarding.id} {"availability_status":{"from":"setting_up","to":"ready"}}`,
        `channel.quality_changed ${busy.id} {"current_quality_rating":{"from":"High","to":"Low"}}`,
        `channel.limit_changed ${tiered.id} {"current_limit":{"from":"TIER_1K","to":"TIER_10K"}}`,
        `channel.changed ${renamed.id} {"setup_info":{"from":{"phone_name":"Brand ${renamed.id}","phone_number":"${renamed.setup_info.phone_number}"},"to":{"phone_name":"New name","phone_number":"${renamed.setup_info.phone_number}"}}}`,
      ].sort(),
    );
    // Clients are reported before channels: a new client, then the channel it brings.
    const types = events.map((e) => e.type);
    expect(types.findLastIndex((t) => t.startsWith('client.'))).toBeLessThan(types.findIndex((t) => t.startsWith('channel.')));
  });

  it('reports nothing when only volatile upstream fields moved', async () => {
    const h = await dialog360Harness();
    const channel = h.world.addChannel();
    await h.sync();
    // modified_at moves; hub_status is deprecated and not kept.
    h.world.updateChannel(channel.id, { hub_status: 'pending_deletion' });

    const result = await h.sync();

    expect(result).toMatchObject({ outcome: 'complete', events: 0 });
  });
});
