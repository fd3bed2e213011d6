/**
 * The 360dialog source: the partner's clients and channels, each list read as one consistent
 * sweep (client.ts, paging.ts) and mapped to our records under upstream field names, page by page
 * into staging (a sweep that proves inconsistent is discarded from staging and read again).
 *
 * Left out of the records on purpose: `modified_at` moves with every change upstream, including
 * the ones that have their own event, so keeping it would add a `channel.changed` carrying only
 * `modified_at` to every status, quality, tier or availability change (and report changes to
 * fields we don't keep); `hub_status` is deprecated in favour of `availability_status` and would
 * double each availability change the same way. Internal and deprecated fields are not kept.
 */
import pLimit from 'p-limit';
import type { HttpConfig } from '../../config.js';
import type { Dialog360Config } from './config.js';
import type { PullContext, PullResult, Source, StagedEntity } from '../../sync/types.js';
import { parseItem } from '../validation.js';
import { Dialog360Client, type ListSpec, SOURCE } from './client.js';
import { CHANNEL, CLIENT, dialog360Kinds } from './kinds.js';
import { type ChannelPayload, type ClientPayload, channel, client } from './schemas.js';

export interface Dialog360SourceDeps {
  readonly config: Dialog360Config;
  readonly http: HttpConfig & { retryBaseMs?: number };
}

const CLIENTS: ListSpec<ClientPayload> = {
  call: 'listClients',
  path: 'clients',
  field: 'clients',
  parse: (value, where) => parseItem(client, value, where),
  createdAt: (row) => row.created_at,
};

const CHANNELS: ListSpec<ChannelPayload> = {
  call: 'listChannels',
  path: 'channels',
  field: 'partner_channels',
  parse: (value, where) => parseItem(channel, value, where),
  createdAt: (row) => row.created_at,
};

export function createDialog360Source(deps: Dialog360SourceDeps): Source {
  const client = new Dialog360Client({ ...deps.config, ...deps.http });
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
  if (clients.length > 0) await ctx.stage(CLIENT, clients.map(clientRecord));
  if (channels.length > 0) await ctx.stage(CHANNEL, channels.map(channelRecord));
  return { coverage: { [CLIENT]: 'partial', [CHANNEL]: 'partial' } };
}

async function pullDialog360(client: Dialog360Client, concurrency: number, ctx: PullContext): Promise<PullResult> {
  // Pages are staged as they arrive; a sweep found inconsistent is thrown away and read again.
  const read = <T extends { id: string }>(list: ListSpec<T>, kind: string, record: (item: T) => StagedEntity, signal: AbortSignal, share = concurrency) =>
    client.readList(
      list,
      { signal, onAttempt: ctx.countApiCall, onRetry: ctx.countRetry, progress: ctx.progress },
      { rows: (rows) => ctx.stage(kind, rows.map(record)), restart: () => ctx.discard(kind) },
      // A list that turns out not to be in created_at order is read by overlapping pages, several at once.
      { concurrency: share },
    );

  let clients: number;
  let channels: number;
  if (client.newestFirst(CLIENTS) && client.newestFirst(CHANNELS) && concurrency >= 2) {
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
    [clients, channels] = await Promise.all([stopOnFailure(read(CLIENTS, CLIENT, clientRecord, signal, half)), stopOnFailure(read(CHANNELS, CHANNEL, channelRecord, signal, half))]);
    if (failures.length > 0) throw failures[0];
  } else {
    clients = await read(CLIENTS, CLIENT, clientRecord, ctx.signal);
    channels = await read(CHANNELS, CHANNEL, channelRecord, ctx.signal);
  }
  ctx.progress(`${clients} clients, ${channels} channels`);

  return { coverage: { [CLIENT]: 'complete', [CHANNEL]: 'complete' } };
}

// Records are built with their keys in sorted order: canonical JSON (src/diff/canonical.ts) then
// writes them as they are instead of copying them sorted.
export function clientRecord(item: ClientPayload): StagedEntity {
  return {
    key: item.id,
    data: {
      contact_info: item.contact_info,
      created_at: item.created_at,
      id: item.id,
      max_channels: item.max_channels,
      name: item.name,
      partner_payload: item.partner_payload,
      status: item.status,
    },
  };
}

/** `setup_info.phone_number` and `waba_account.external_id` (the Meta WABA id) join channels to Meta. */
export function channelRecord(item: ChannelPayload): StagedEntity {
  return {
    key: item.id,
    data: {
      account_mode: item.account_mode,
      availability_status: item.availability_status,
      cancelled_at: item.cancelled_at,
      client_id: item.client_id,
      created_at: item.created_at,
      current_limit: item.current_limit,
      current_quality_rating: item.current_quality_rating,
      id: item.id,
      setup_info: item.setup_info && { phone_name: item.setup_info.phone_name, phone_number: item.setup_info.phone_number },
      status: item.status,
      terminated_at: item.terminated_at,
      waba_account: item.waba_account && {
        external_id: item.waba_account.external_id,
        fb_account_status: item.waba_account.fb_account_status,
        id: item.waba_account.id,
      },
    },
  };
}
