/** Builds the enabled sources from the configuration. */
import type { Clock } from '../clock.js';
import type { Config, SourceName } from '../config.js';
import type { Fingerprint, SecretScrubber } from '../secrets.js';
import type { Source } from '../sync/types.js';
import { createDialog360Source } from './dialog360/source.js';
import { createDigital99Source } from './digital99/source.js';
import { createMetaSource } from './meta/source.js';

export interface SourceDeps {
  readonly clock: Clock;
  readonly fingerprint: Fingerprint;
  /** Told the secrets a source learns while pulling (99digital's access token, the numbers' apiKeys). */
  readonly scrubber?: SecretScrubber;
}

export function createSources(config: Config, deps: SourceDeps): Map<SourceName, Source> {
  const sources = new Map<SourceName, Source>();
  if (config.meta) {
    sources.set('meta', createMetaSource({ config: config.meta, http: config.http }));
  }
  if (config.digital99) {
    sources.set('digital99', createDigital99Source({ config: config.digital99, http: config.http, ...deps }));
  }
  if (config.dialog360) {
    sources.set('dialog360', createDialog360Source({ config: config.dialog360, http: config.http }));
  }
  return sources;
}
