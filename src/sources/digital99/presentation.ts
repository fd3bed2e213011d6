/** How 99digital's entities and events show to people: digest sections and per-kind presenters. */
import { type DigestSectionId, type Presenter, pick, pickString } from '../upstream.js';
import { NUMBER, ONBOARDING } from './kinds.js';

export const DIGITAL99_SECTIONS: Readonly<Record<string, DigestSectionId>> = {
  'onboarding.completed': 'onboarded',
  'onboarding.number_swapped': 'onboarded',
  'number.added': 'new',
  'onboarding.removed': 'vanished',
  'number.removed': 'vanished',
  'onboarding.created': 'other',
  'onboarding.changed': 'other',
  'number.changed': 'other',
  'number.api_key_rotated': 'other',
};

/** A listing names a number or onboarding without a display name by its business. */
const presentNumber: Presenter = (number) => ({
  name: pick(number, ['display_name']),
  label: pickString(number, ['display_name', 'business_name']),
  number: pick(number, ['whatsapp']),
  owner: pick(number, ['business_name']),
  wabaId: null,
  notes: [],
});

/** An onboarding as a number, plus the reference the partner gave it. */
const presentOnboarding: Presenter = (onboarding) => {
  const reference = pick(onboarding, ['reference']);
  return { ...presentNumber(onboarding), notes: reference ? [`reference ${reference}`] : [] };
};

export const DIGITAL99_PRESENTERS: Readonly<Record<string, Presenter>> = {
  [ONBOARDING]: presentOnboarding,
  [NUMBER]: presentNumber,
};
