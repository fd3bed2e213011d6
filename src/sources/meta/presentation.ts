/** How Meta's entities and events show to people: digest sections and per-kind presenters. */
import type { Entity } from '../../diff/types.js';
import { type DigestSectionId, type Presenter, pick, pickString } from '../upstream.js';
import { OWNED_WABA, PHONE_NUMBER, WABA } from './kinds.js';

export const META_SECTIONS: Readonly<Record<string, DigestSectionId>> = {
  'waba.account_update': 'account',
  'waba.shared': 'shared',
  'waba.owned_added': 'shared',
  'phone_number.added': 'new',
  'waba.unshared': 'vanished',
  'waba.owned_removed': 'vanished',
  'phone_number.removed': 'vanished',
  'waba.review_status_changed': 'status',
  'phone_number.quality_changed': 'status',
  'phone_number.status_changed': 'status',
  'waba.changed': 'other',
  'phone_number.changed': 'other',
};

/** A WABA: its name and the business that owns it (or on whose behalf it is run). */
const presentWaba: Presenter = (waba) => ({
  name: pick(waba, ['name']),
  label: pickString(waba, ['name']),
  number: null,
  owner: pick(waba, ['owner_business_info', 'on_behalf_of_business_info']),
  wabaId: null,
  notes: accountUpdateNotes(waba),
});

/** What a `waba.account_update` (the webhook's value) says, in a digest line: the event and its reason. */
function accountUpdateNotes(value: Entity): string[] {
  const facts: [string, string[]][] = [
    ['event', ['event']],
    ['violation', ['violation_info.violation_type']],
    ['ban', ['ban_info.waba_ban_state']],
    ['restriction', ['restriction_info']],
    ['reason', ['disconnection_info.reason', 'alert_info.description']],
  ];
  return facts.flatMap(([label, paths]) => {
    const found = pick(value, paths);
    return found === null ? [] : [label === 'event' ? found : `${label}: ${found}`];
  });
}

/** A phone number: its verified name and number, and the WABA it belongs to. */
const presentPhoneNumber: Presenter = (phone) => ({
  name: pick(phone, ['verified_name']),
  label: pickString(phone, ['verified_name']),
  number: pick(phone, ['display_phone_number']),
  owner: null,
  wabaId: pick(phone, ['waba_id']),
  notes: [],
});

export const META_PRESENTERS: Readonly<Record<string, Presenter>> = {
  [WABA]: presentWaba,
  [OWNED_WABA]: presentWaba,
  [PHONE_NUMBER]: presentPhoneNumber,
};
