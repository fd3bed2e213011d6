/** Meta as one upstream module: everything the rest of waba-sync knows about it (src/sources/upstream.ts). */
import type { Upstream } from '../upstream.js';
import { SOURCE } from './client.js';
import { type MetaConfig, metaConfigSection } from './config.js';
import { META_KINDS, WABA } from './kinds.js';
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
  ],
  webhook: metaWebhook,
  webhookEventKinds: { [ACCOUNT_UPDATE]: WABA },
  createSource: (config, http) => createMetaSource({ config, http }),
};
