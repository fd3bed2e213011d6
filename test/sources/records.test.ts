/**
 * Every source builds its records with their keys in sorted order at every level, so canonical
 * JSON writes them as they are (src/diff/canonical.ts) instead of copying each one sorted — a
 * record built in another order costs that copy on every entity of every pull. The stored text is
 * the same either way; this holds the sources to the cheap way.
 */
import { describe, expect, it } from 'vitest';
import { isCanonical } from '../../src/diff/canonical.js';
import { channel, client } from '../../src/sources/dialog360/schemas.js';
import { channelRecord, clientRecord } from '../../src/sources/dialog360/records.js';
import { number, onboarding } from '../../src/sources/digital99/schemas.js';
import { counterRecord, numberRecord, onboardingRecord } from '../../src/sources/digital99/source.js';
import { phoneNumber, waba } from '../../src/sources/meta/schemas.js';
import { phoneRecord, wabaRecord } from '../../src/sources/meta/records.js';

const fingerprint = (secret: string) => `fp:${secret.length}`;

describe('records are built canonical', () => {
  it.each([
    ['meta waba', () => wabaRecord(waba.parse({ id: '1', name: 'A', creation_time: 1, on_behalf_of_business_info: { id: '2', name: 'B', status: 'active', type: 'SELF' }, owner_business_info: { id: '3', name: 'C' } }))],
    ['meta phone_number', () => phoneRecord(phoneNumber.parse({ id: '7', display_phone_number: '+1 555', throughput: { level: 'STANDARD' }, is_on_biz_app: true }), '1')],
    ['360dialog client', () => clientRecord(client.parse({ id: 'c1', name: 'A', status: 'active', created_at: '2026-01-01', max_channels: 2, partner_payload: 'x', contact_info: null }))],
    [
      '360dialog channel',
      () =>
        channelRecord(
          channel.parse({
            id: 'ch1',
            client_id: 'c1',
            status: 'running',
            setup_info: { phone_number: '972500000000', phone_name: 'A' },
            waba_account: { id: 'w', external_id: '1', fb_account_status: 'APPROVED' },
          }),
        ),
    ],
    ['99digital onboarding', () => onboardingRecord(onboarding.parse({ onboarding_link: 'L1', whatsapp: '972500000000', status: 1, create_time: 5, business_name: 'A' }))],
    ['99digital number', () => numberRecord(number.parse({ whatsapp: '972500000000', apiKey: 'k', create_time: 5, isOnline: 1, onlineAccount: 1, onlineInbox: 0, conversationsThisMonth: 1, marketingThisMonth: 0, serviceThisMonth: 1, incomingThisMonth: 0 }), fingerprint)],
    ['99digital number_counters', () => counterRecord(number.parse({ whatsapp: '972500000000', conversationsThisMonth: 1, marketingThisMonth: 0, serviceThisMonth: 1, incomingThisMonth: 0 }))],
  ])('%s', (_, build) => {
    expect(isCanonical(build().data)).toBe(true);
  });
});
