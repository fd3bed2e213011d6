/** 360dialog as one upstream module: everything the rest of waba-sync knows about it (src/sources/upstream.ts). */
import type { Upstream } from '../upstream.js';
import { DIALOG360_CHECKS } from './checks.js';
import { SOURCE } from './client.js';
import { type Dialog360Config, dialog360ConfigSection } from './config.js';
import { CHANNEL, dialog360Kinds } from './kinds.js';
import { DIALOG360_PRESENTERS, DIALOG360_SECTIONS } from './presentation.js';
import { createDialog360Source } from './source.js';
import { CHANNEL_ACCOUNT_UPDATE, dialog360Webhook } from './webhook.js';

/** A stored value as a join value: absent, null and empty mean "none". */
function present(value: unknown): string[] {
  return value === null || value === undefined || value === '' ? [] : [String(value)];
}

export const dialog360Upstream: Upstream<typeof SOURCE, Dialog360Config> = {
  name: SOURCE,
  label: '360dialog',
  config: dialog360ConfigSection,
  kinds: dialog360Kinds,
  sections: DIALOG360_SECTIONS,
  presenters: DIALOG360_PRESENTERS,
  checks: DIALOG360_CHECKS,
  joins: [
    {
      join: 'waba_id',
      kind: CHANNEL,
      describes: 'the 360dialog channels',
      values: (_key, channel) => present((channel.waba_account as { external_id?: unknown } | null | undefined)?.external_id),
    },
    {
      join: 'phone_number',
      kind: CHANNEL,
      describes: 'the 360dialog channels',
      values: (_key, channel) => present((channel.setup_info as { phone_number?: unknown } | null | undefined)?.phone_number),
    },
  ],
  webhook: dialog360Webhook,
  webhookEventKinds: { [CHANNEL_ACCOUNT_UPDATE]: CHANNEL },
  createSource: (config, http, deps) => createDialog360Source({ config, http, pages: deps.pages }),
};
