/**
 * The 360dialog source: the partner's clients and channels, each list read as one consistent
 * sweep (client.ts, paging.ts), each page read into prepared records (page.ts, records.ts — on
 * the App's page thread) and staged as it arrives (a sweep that proves inconsistent is discarded
 * from staging and read again).
 */
import pLimit from 'p-limit';
import type { HttpConfig } from '../../config.js';
import type { PullContext, PullResult, Source } from '../../sync/types.js';
import type { PageReader } from '../page-tasks.js';
import { Dialog360Client, type ListSpec, SOURCE } from './client.js';
import type { Dialog360Config } from './config.js';
import { CHANNEL, CLIENT, dialog360Kinds } from './kinds.js';

export interface Dialog360SourceDeps {
  readonly config: Dialog360Config;
  readonly http: HttpConfig & { retryBaseMs?: number };
  /** Where pages are read into records (the App's page thread); on the pull's thread when omitted. */
  readonly pages?: PageReader;
}

const CLIENTS: ListSpec = { call: 'listClients', path: 'clients', list: 'clients' };
const CHANNELS: ListSpec = { call: 'listChannels', path: 'channels', list: 'channels' };

export function createDialog360Source(deps: Dialog360SourceDeps): Source {
  const client = new Dialog360Client({ ...deps.config, ...deps.http, pages: deps.pages });
  return {
    name: SOURCE,
    kinds: dialog360Kinds,
    supportsIncremental: false,
    pull: (ctx) => pullDialog360(client, deps.config.concurrency, ctx),
    pullTargets: (ctx, targets) => pullDialog360Targets(client, deps.config.concurrency, ctx, targets),
  };
}

/** A webhook's clients and channels, each read by id (`filters={"id":…}`, one call each). */
async function pullDialog360Targets(client: Dialog360Client, concurrency: number, ctx: PullContext, targets: readonly string[]): Promise<PullResult> {
  const hooks = { signal: ctx.signal, onAttempt: ctx.countApiCall, onRetry: ctx.countRetry };
  const ids = (prefix: string) => targets.filter((target) => target.startsWith(prefix)).map((target) => target.slice(prefix.length));
  const limit = pLimit(concurrency);
  const clients = (await Promise.all(ids('client:').map((id) => limit(() => client.find(CLIENTS, { id }, hooks))))).flat();
  const channels = (await Promise.all(ids('channel:').map((id) => limit(() => client.find(CHANNELS, { id }, hooks))))).flat();
  if (clients.length > 0) await ctx.stage(CLIENT, clients);
  if (channels.length > 0) await ctx.stage(CHANNEL, channels);
  return { coverage: { [CLIENT]: 'partial', [CHANNEL]: 'partial' } };
}

async function pullDialog360(client: Dialog360Client, concurrency: number, ctx: PullContext): Promise<PullResult> {
  // Pages are staged as they arrive; a sweep found inconsistent is thrown away and read again.
  const read = (list: ListSpec, kind: string, signal: AbortSignal, share = concurrency) =>
    client.readList(
      list,
      { signal, onAttempt: ctx.countApiCall, onRetry: ctx.countRetry, progress: ctx.progress },
      { rows: (rows) => ctx.stage(kind, rows), restart: () => ctx.discard(kind) },
      // A list that turns out not to be in created_at order is read by overlapping pages, several at once.
      { concurrency: share },
    );

  let clients: number;
  let channels: number;
  if (client.newestFirst() && concurrency >= 2) {
    // Each list read newest first keeps one request in flight: the two are read side by side
    // (should one fall back to overlapping pages, it gets half of DIALOG360_CONCURRENCY). The
    // first to fail stops the other; the pull fails with that first error once both have stopped.
    const half = Math.max(1, Math.floor(concurrency / 2));
    const both = new AbortController();
    const signal = AbortSignal.any([ctx.signal, both.signal]);
    const failures: unknown[] = [];
    const stopOnFailure = (reading: Promise<number>) =>
      reading.catch((error: unknown) => {
        failures.push(error);
        both.abort(error);
        return 0;
      });
    [clients, channels] = await Promise.all([stopOnFailure(read(CLIENTS, CLIENT, signal, half)), stopOnFailure(read(CHANNELS, CHANNEL, signal, half))]);
    if (failures.length > 0) throw failures[0];
  } else {
    clients = await read(CLIENTS, CLIENT, ctx.signal);
    channels = await read(CHANNELS, CHANNEL, ctx.signal);
  }
  ctx.progress(`${clients} clients, ${channels} channels`);

  return { coverage: { [CLIENT]: 'complete', [CHANNEL]: 'complete' } };
}
