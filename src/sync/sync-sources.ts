/** A sync of several sources: each runs on its own; one failing never stops the others. */
import type { Source } from './types.js';
import { type RunDeps, type RunResult, runSourcePull } from './run-source.js';
import type { RunMode } from './types.js';

export async function syncSources(deps: RunDeps, sources: readonly Source[], mode: RunMode): Promise<RunResult[]> {
  return Promise.all(sources.map((source) => runSourcePull(deps, source, mode)));
}
