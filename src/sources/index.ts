/** Builds the enabled sources from the configuration, one per upstream in the registry. */
import type { Config, HttpConfig, SourceName } from '../config.js';
import type { Source } from '../sync/types.js';
import { UPSTREAMS } from './registry.js';
import { type SourceDeps, SharedClients, type Upstream } from './upstream.js';

export type { SourceDeps };

export function createSources(config: Config, sourceDeps: SourceDeps): Map<SourceName, Source> {
  const deps = { ...sourceDeps, clients: sourceDeps.clients ?? new SharedClients() };
  const sources = new Map<SourceName, Source>();
  for (const upstream of UPSTREAMS) {
    const source = createEnabled(upstream, config[upstream.name], config.http, deps);
    if (source) sources.set(upstream.name, source);
  }
  return sources;
}

/** The upstream's source when its section is set (the source enabled), else null. */
function createEnabled<N extends string, C>(upstream: Upstream<N, C>, section: C | null, http: HttpConfig, deps: SourceDeps & { readonly clients: SharedClients }): Source | null {
  return section === null ? null : upstream.createSource(section, http, deps);
}
