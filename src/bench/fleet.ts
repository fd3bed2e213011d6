/**
 * The benchmark's upstreams: the three simulators on one loopback server, each answering after
 * the configured latency, seeded with a fleet scaled from the default (100,000 Meta client
 * WABAs with one number each, 20,000 99digital onboardings and numbers, 20,000 360dialog channels).
 */
import { performance } from 'node:perf_hooks';
import { Dialog360World, seedDialog360 } from '../simulator/dialog360.js';
import { Digital99World, seedDigital99 } from '../simulator/digital99.js';
import { MetaWorld, seedMetaFleet } from '../simulator/meta.js';
import { type ObservedRequest, type RunningSimulator, type SimHandler, startSimulator } from '../simulator/server.js';
import type { SourceName } from '../config.js';
import type { RecordedRequest } from './protocol.js';

export interface FleetSize {
  readonly metaWabas: number;
  readonly metaOwned: number;
  readonly digital99Onboardings: number;
  readonly digital99Numbers: number;
  readonly dialog360Clients: number;
  readonly dialog360Channels: number;
}

export const DEFAULT_FLEET: FleetSize = {
  metaWabas: 100_000,
  metaOwned: 1_000,
  digital99Onboardings: 20_000,
  digital99Numbers: 20_000,
  dialog360Clients: 10_000,
  dialog360Channels: 20_000,
};

export function scaledFleet(scale: number): FleetSize {
  const of = (n: number) => Math.max(1, Math.round(n * scale));
  return {
    metaWabas: of(DEFAULT_FLEET.metaWabas),
    metaOwned: of(DEFAULT_FLEET.metaOwned),
    digital99Onboardings: of(DEFAULT_FLEET.digital99Onboardings),
    digital99Numbers: of(DEFAULT_FLEET.digital99Numbers),
    dialog360Clients: of(DEFAULT_FLEET.dialog360Clients),
    dialog360Channels: of(DEFAULT_FLEET.dialog360Channels),
  };
}

/** Per endpoint, requests each fake received. */
export type CallCounts = Record<string, number>;

export interface BenchUpstreams {
  readonly meta: MetaWorld;
  readonly digital99: Digital99World;
  readonly dialog360: Dialog360World;
  readonly simulator: RunningSimulator;
  /** Environment that points the app at the fakes. */
  readonly env: Record<string, string>;
  /** Requests received so far, per source and endpoint. */
  calls(source: SourceName): CallCounts;
  /** Time spent inside the fakes' handlers so far, per source (ms; the latency wait excluded). */
  handlerMs(source: SourceName): number;
  /** Records the requests `source`'s fake receives from now until `stop()` (one pull's, for the read floor). */
  record(source: SourceName): { stop(): RecordedRequest[] };
  close(): Promise<void>;
}

const PREFIXES: Record<SourceName, string> = { meta: '/meta', digital99: '/99digital/api', dialog360: '/360dialog/api/v2' };

/** The connection's headers, which the replaying client sets for itself. */
const CONNECTION_HEADERS = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

export async function startUpstreams(fleet: FleetSize, latencyMs: number): Promise<BenchUpstreams> {
  const meta = new MetaWorld({ latencyMs });
  const digital99 = new Digital99World({ latencyMs });
  const dialog360 = new Dialog360World({ latencyMs });
  seedMetaFleet(meta, { wabas: fleet.metaWabas, phonesPerWaba: 1, owned: fleet.metaOwned });
  seedDigital99(digital99, { onboardings: fleet.digital99Onboardings, numbers: fleet.digital99Numbers });
  seedDialog360(dialog360, { clients: fleet.dialog360Clients, channels: fleet.dialog360Channels });

  const handlerMs: Record<SourceName, number> = { meta: 0, digital99: 0, dialog360: 0 };
  // Time only the fakes' computing, not their latency wait, so a slow fake shows. An async handler
  // (360dialog) computes before its first await, so timing the call itself is enough.
  const timed =
    (source: SourceName, handler: SimHandler): SimHandler =>
    (request) => {
      const started = performance.now();
      const answer = handler(request);
      handlerMs[source] += performance.now() - started;
      return answer;
    };
  // One recording at a time per source; kept in memory only (the requests carry credentials).
  const recordings = new Map<string, RecordedRequest[]>();
  const observe = (request: ObservedRequest) => {
    const recording = recordings.get(request.prefix);
    if (!recording) return;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined && !CONNECTION_HEADERS.has(name)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    recording.push({ method: request.method, url: `${simulator.url}${request.url}`, headers, body: request.body });
  };
  const simulator = await startSimulator(
    {
      [PREFIXES.meta]: timed('meta', meta.handler),
      [PREFIXES.digital99]: timed('digital99', digital99.handler),
      [PREFIXES.dialog360]: timed('dialog360', dialog360.handler),
    },
    0,
    { observe },
  );
  const env = {
    META_GRAPH_URL: simulator.urlOf(PREFIXES.meta),
    META_ACCESS_TOKEN: meta.accessToken,
    META_BUSINESS_ID: meta.businessId,
    DIGITAL99_API_URL: simulator.urlOf(PREFIXES.digital99),
    DIGITAL99_CLIENT_ID: digital99.clientId,
    DIGITAL99_CLIENT_SECRET: digital99.clientSecret,
    DIALOG360_API_URL: simulator.urlOf(PREFIXES.dialog360),
    DIALOG360_API_KEY: dialog360.apiKey,
    DIALOG360_PARTNER_ID: dialog360.partnerId,
  };
  return {
    meta,
    digital99,
    dialog360,
    simulator,
    env,
    calls: (source) => {
      const counts = source === 'meta' ? meta.calls : source === 'digital99' ? digital99.calls : dialog360.calls;
      return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
    },
    handlerMs: (source) => handlerMs[source],
    record: (source) => {
      const recording: RecordedRequest[] = [];
      recordings.set(PREFIXES[source], recording);
      return {
        stop: () => {
          if (recordings.get(PREFIXES[source]) === recording) recordings.delete(PREFIXES[source]);
          return recording;
        },
      };
    },
    close: () => simulator.close(),
  };
}

/** The requests between two snapshots, per endpoint. */
export function callsBetween(before: CallCounts, after: CallCounts): CallCounts {
  const out: CallCounts = {};
  for (const [endpoint, n] of Object.entries(after)) {
    const delta = n - (before[endpoint] ?? 0);
    if (delta > 0) out[endpoint] = delta;
  }
  return out;
}

export function totalCalls(calls: CallCounts): number {
  return Object.values(calls).reduce((sum, n) => sum + n, 0);
}
