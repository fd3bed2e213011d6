/** How events' entities show in the events table and the digest, from each upstream's presenters. */
import { describe, expect, it } from 'vitest';
import { describeEvent } from '../../src/events/format.js';
import type { EventRecord } from '../../src/events/query.js';
import { presentEvent } from '../../src/sources/presentation.js';

function event(source: string, type: string, after: Record<string, unknown>, changes: EventRecord['changes'] = null): EventRecord {
  return { id: 1, type, source, key: 'k1', at: '2026-11-03T06:00:00.000Z', run_id: 1, before: null, after, changes };
}

describe('presenting an event', () => {
  it('names each upstream entity the way people know it', () => {
    expect(presentEvent(event('meta', 'waba.shared', { id: '1049', name: 'Acme WABA', owner_business_info: { id: '77', name: 'Owner & Sons' } }))).toMatchObject({
      name: 'Acme WABA',
      owner: 'Owner & Sons (77)',
      number: null,
    });
    expect(presentEvent(event('meta', 'phone_number.added', { id: 'pn', verified_name: 'Acme', display_phone_number: '+972 50-123-4567', waba_id: '1049' }))).toMatchObject({
      name: 'Acme',
      number: '+972 50-123-4567',
      wabaId: '1049',
    });
    expect(presentEvent(event('dialog360', 'channel.added', { id: 'ch', setup_info: { phone_number: '+49 151', phone_name: 'Berlin Desk' }, waba_account: { external_id: '1049' } }))).toMatchObject({
      name: 'Berlin Desk',
      number: '+49 151',
      wabaId: '1049',
    });
    expect(presentEvent(event('digital99', 'onboarding.completed', { whatsapp: '972501234567', display_name: null, business_name: 'Slow Ltd', reference: 'crm-7' }))).toEqual({
      name: null,
      label: 'Slow Ltd',
      number: '972501234567',
      owner: 'Slow Ltd',
      wabaId: null,
      notes: ['reference crm-7'],
    });
  });

  it('in the events table: a 99digital number without a display name by its business, a baseline by its counts', () => {
    expect(describeEvent(event('digital99', 'number.changed', { whatsapp: '972501234567', display_name: '', business_name: 'Slow Ltd' }, { coexistence: { from: 0, to: 1 } }))).toBe(
      'Slow Ltd — coexistence: 0 → 1',
    );
    expect(describeEvent({ ...event('meta', 'sync.baseline', { entities: { waba: 2 } }), key: 'meta' })).toBe('baseline: 2 waba');
  });

  it('presents a type this version does not know by the source presenters, and an unknown source not at all', () => {
    expect(presentEvent(event('meta', 'some.future_type', { name: 'Mystery' })).name).toBe('Mystery');
    expect(presentEvent(event('elsewhere', 'thing.added', { name: 'Mystery' })).name).toBeNull();
  });
});
