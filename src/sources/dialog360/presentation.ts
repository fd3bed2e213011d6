/** How 360dialog's entities and events show to people: digest sections and per-kind presenters. */
import { type DigestSectionId, type Presenter, pick, pickString } from '../upstream.js';
import { CHANNEL, CLIENT } from './kinds.js';

export const DIALOG360_SECTIONS: Readonly<Record<string, DigestSectionId>> = {
  'channel.account_update': 'account',
  'client.added': 'new',
  'channel.added': 'new',
  'client.removed': 'vanished',
  'channel.removed': 'vanished',
  'channel.status_changed': 'status',
  'channel.quality_changed': 'status',
  'channel.limit_changed': 'status',
  'channel.availability_changed': 'status',
  'client.changed': 'other',
  'channel.changed': 'other',
};

const presentClient: Presenter = (client) => ({
  name: pick(client, ['name']),
  label: pickString(client, ['name']),
  number: null,
  owner: null,
  wabaId: null,
  notes: [],
});

/** A channel is named by its phone name; `waba_account.external_id` is the Meta WABA id. */
const presentChannel: Presenter = (channel) => ({
  name: pick(channel, ['setup_info.phone_name']),
  label: pickString(channel, ['setup_info.phone_name']),
  number: pick(channel, ['setup_info.phone_number', 'phone_number']),
  owner: null,
  wabaId: pick(channel, ['waba_account.external_id']),
  // A `channel.account_update` (the webhook's data): the event and its violation type.
  notes: [pick(channel, ['event']), pick(channel, ['violation_type'])].filter((note): note is string => note !== null),
});

export const DIALOG360_PRESENTERS: Readonly<Record<string, Presenter>> = {
  [CLIENT]: presentClient,
  [CHANNEL]: presentChannel,
};
