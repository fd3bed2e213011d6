/**
 * The benchmark's event delivery: a subscriber on loopback receives every event the run writes
 * (the dispatcher runs in the sync worker on a thread of its own, as in the daemon). Measured over the
 * churn runs' events: deliveries per second while they drain, and the lag from an event being
 * detected (its `at`) to the subscriber receiving it, checked against the events written (none
 * lost; repeats counted).
 */
import { Worker } from 'node:worker_threads';

export const BENCH_DELIVERY_SECRET = `whsec_${Buffer.from('waba-sync-bench-delivery-secret!').toString('base64')}`;

interface Received {
  readonly id: number;
  readonly at: string;
  readonly receivedAt: number;
}

export interface BenchReceiver {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

/**
 * The receiver runs on a thread of its own: a subscriber is not on the machine of the upstream
 * APIs, and in the bench's process it would answer only between the simulators' pages (the pulls
 * it overlaps with are theirs to serve), adding their work to every delivery's lag. It stamps each
 * arrival there and posts it here.
 */
const RECEIVER_THREAD = `
const { createServer } = require('node:http');
const { parentPort } = require('node:worker_threads');
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const receivedAt = Date.now();
    const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    parentPort.postMessage({ id: event.id, at: event.at, receivedAt });
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'close') {
    server.closeAllConnections();
    server.close(() => parentPort.close());
  }
});
`;

export async function startBenchReceiver(): Promise<BenchReceiver> {
  const received: Received[] = [];
  const thread = new Worker(RECEIVER_THREAD, { eval: true });
  const port = await new Promise<number>((resolve, reject) => {
    thread.once('error', reject);
    thread.on('message', (message: Received | { port: number }) => {
      if ('port' in message) resolve(message.port);
      else received.push(message);
    });
  });
  return {
    url: `http://127.0.0.1:${port}/events`,
    received,
    close: async () => {
      const exited = new Promise((resolve) => thread.once('exit', resolve));
      thread.postMessage('close');
      await exited;
    },
  };
}

export interface DeliveryMeasure {
  /** Events the churn runs wrote, and how many of them arrived (each counted once). */
  readonly events: number;
  readonly delivered: number;
  readonly lost: number;
  readonly repeated: number;
  /**
   * Deliveries ÷ the time the subscriber was receiving them: from the first to the last arrival of
   * each pull's burst (the events of one commit share their `at`), overlapping bursts counted once.
   */
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Waits (at most `timeoutMs`) until every id has arrived. */
export async function awaitDeliveries(receiver: BenchReceiver, ids: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const wanted = new Set(ids);
  for (;;) {
    const arrived = new Set(receiver.received.map((r) => r.id));
    if ([...wanted].every((id) => arrived.has(id)) || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `rounds`: each churn run's event ids, so throughput counts the time deliveries were flowing. */
export function measureDeliveries(receiver: BenchReceiver, rounds: readonly (readonly number[])[]): DeliveryMeasure {
  const lags: number[] = [];
  let events = 0;
  let delivered = 0;
  let repeated = 0;
  /** Per burst (events of one commit share their `at`): its first and last arrival. */
  const bursts = new Map<string, { from: number; to: number }>();
  for (const ids of rounds) {
    events += ids.length;
    const wanted = new Set(ids);
    const arrivals = receiver.received.filter((r) => wanted.has(r.id));
    const first = new Map<number, Received>();
    for (const arrival of arrivals) {
      if (first.has(arrival.id)) repeated += 1;
      else first.set(arrival.id, arrival);
    }
    delivered += first.size;
    for (const arrival of first.values()) lags.push(Math.max(0, arrival.receivedAt - Date.parse(arrival.at)));
    for (const arrival of arrivals) {
      const burst = bursts.get(arrival.at);
      if (!burst) bursts.set(arrival.at, { from: arrival.receivedAt, to: arrival.receivedAt });
      else {
        burst.from = Math.min(burst.from, arrival.receivedAt);
        burst.to = Math.max(burst.to, arrival.receivedAt);
      }
    }
  }
  // The union of the bursts' spans: a burst that left while the one before was still leaving adds
  // only its own remainder.
  let flowingMs = 0;
  let reached = Number.NEGATIVE_INFINITY;
  for (const { from, to } of [...bursts.values()].sort((a, b) => a.from - b.from)) {
    const start = Math.max(from, reached);
    if (to > start) flowingMs += to - start;
    reached = Math.max(reached, to);
  }
  lags.sort((a, b) => a - b);
  const at = (q: number) => (lags.length === 0 ? 0 : lags[Math.min(lags.length - 1, Math.ceil(q * lags.length) - 1)]!);
  return {
    events,
    delivered,
    lost: events - delivered,
    repeated,
    perSecond: flowingMs > 0 ? Math.round((delivered / flowingMs) * 1000) : 0,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: lags.at(-1) ?? 0,
  };
}
