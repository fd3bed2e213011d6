/** 99digital as one upstream module: everything the rest of waba-sync knows about it (src/sources/upstream.ts). */
import type { Upstream } from '../upstream.js';
import { DIGITAL99_CHECKS } from './checks.js';
import { SOURCE } from './client.js';
import { DEFAULT_TEMP_NUMBER_PREFIX, type Digital99Config, digital99ConfigSection } from './config.js';
import { NUMBER, digital99Kinds } from './kinds.js';
import { DIGITAL99_PRESENTERS, DIGITAL99_SECTIONS } from './presentation.js';
import { createDigital99Source } from './source.js';
import { digital99Webhook } from './webhook.js';

export const digital99Upstream: Upstream<typeof SOURCE, Digital99Config> = {
  name: SOURCE,
  label: '99digital',
  config: digital99ConfigSection,
  // The event types do not depend on the prefix; only when a swap is reported does.
  kinds: digital99Kinds(DEFAULT_TEMP_NUMBER_PREFIX),
  sections: DIGITAL99_SECTIONS,
  presenters: DIGITAL99_PRESENTERS,
  checks: DIGITAL99_CHECKS,
  joins: [
    // A number's key is the number as 99digital writes it (e.g. 972501234567).
    { join: 'phone_number', kind: NUMBER, describes: 'the 99digital numbers', values: (key) => [key] },
  ],
  webhook: digital99Webhook,
  createSource: (config, http, deps) => createDigital99Source({ config, http, ...deps }),
};
