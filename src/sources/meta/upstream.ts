/** Meta as one upstream module: everything the rest of waba-sync knows about it (src/sources/upstream.ts). */
import type { Upstream } from '../upstream.js';
import { SOURCE } from './client.js';
import { type MetaConfig, metaConfigSection } from './config.js';
import { META_KINDS, PHONE_NUMBER, WABA } from './kinds.js';
import { META_PRESENTERS, META_SECTIONS } from './presentation.js';
import { createMetaSource } from './source.js';
import { ACCOUNT_UPDATE, metaWebhook } from './webhook.js';

export const metaUpstream: Upstream<typeof SOURCE, MetaConfig> = {
  name: SOURCE,
  label: 'Meta',
  config: metaConfigSection,
  kinds: META_KINDS,
  sections: META_SECTIONS,
  presenters: META_PRESENTERS,
  checks: [],
  joins: [
    {
      // Client WABAs only: a channel on an owned WABA is not one of our clients'.
      join: 'waba_id',
      kind: WABA,
      describes: 'the Meta client WABAs',
      values: (key, waba) => [key, typeof waba.id === 'string' ? waba.id : key],
    },
    {
      // Meta writes "+972 50-123 4567": the digits are what other upstreams' numbers match.
      join: 'phone_number',
      kind: PHONE_NUMBER,
      describes: 'the Meta phone numbers',
      values: (_key, phone) => (typeof phone.display_phone_number === 'string' && /\d/.test(phone.display_phone_number) ? [phone.display_phone_number.replace(/\D/g, '')] : []),
    },
  ],
  webhook: metaWebhook,
  webhookEventKinds: { [ACCOUNT_UPDATE]: WABA },
  createSource: (config, http, deps) => createMetaSource({ config, http, pages: deps.pages }),
};
