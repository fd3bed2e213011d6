/**
 * The daemon's dispatcher on a thread of its own (dispatcher-thread.ts): its own event loop and
 * database connection, so deliveries leave while the pulls parse and store on the main thread —
 * in one event loop a burst of events waited behind the next pull's pages (docs/benchmark.md,
 * "Event delivery"). Log lines come back and are written by the daemon's logger (its level, its
 * redaction); metrics are counted in the daemon's registry.
 *
 * A thread can't share an injected clock: a daemon with one (tests) keeps the in-process
 * dispatcher (runtime.ts). Should the thread fail, the daemon says so and delivers in-process.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import type { Dispatcher, DeliveryMetrics, PassResult } from './dispatcher.js';
import type { ThreadReply, ThreadRequest, ThreadStart } from './thread-protocol.js';

/**
 * The compiled thread: beside this file in dist/; from the TypeScript sources (tests, which build
 * dist/ first) the one in dist/.
 */
export function threadScript(): string {
  const sibling = fileURLToPath(new URL('./dispatcher-thread.js', import.meta.url));
  return existsSync(sibling) ? sibling : fileURLToPath(new URL('../../dist/src/delivery/dispatcher-thread.js', import.meta.url));
}

const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** One of the thread's pino lines, written again by the daemon's logger. */
function relog(log: Logger, line: string): void {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { level, msg, time: _time, pid: _pid, hostname: _hostname, ...fields } = entry;
  log[LEVELS[Number(level)] ?? 'info']({ ...fields, thread: 'delivery' }, String(msg ?? ''));
}

export interface DispatcherThreadOptions {
  readonly start: ThreadStart;
  readonly log: Logger;
  readonly metrics?: DeliveryMetrics;
  /** Takes over when the thread fails (the in-process dispatcher). */
  readonly fallback: () => Dispatcher;
}

/**
 * Resolves once the thread has its database open; rejects when it could not start (the caller then
 * delivers in-process). A thread that fails later hands over to `fallback`.
 */
export async function startDispatcherThread(options: DispatcherThreadOptions): Promise<Dispatcher> {
  const { log, metrics } = options;
  const worker = new Worker(threadScript(), { workerData: options.start });
  const waiting = new Map<number, { resolve: (value: PassResult) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let stopping = false;
  let fallback: Dispatcher | null = null;
  /** Until then a failure only rejects the start: the caller delivers in-process itself (one dispatcher, not two). */
  let started = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (reply: ThreadReply) => {
      switch (reply.kind) {
        case 'ready':
          return resolve();
        case 'log':
          return relog(log, reply.line);
        case 'metric':
          if (reply.metric === 'delivered') metrics?.delivered(reply.subscription, reply.lagSeconds ?? 0);
          else metrics?.[reply.metric](reply.subscription);
          return;
        case 'reply': {
          const pending = waiting.get(reply.id);
          waiting.delete(reply.id);
          if (reply.value) pending?.resolve(reply.value);
          else pending?.reject(new Error(reply.error ?? 'the delivery thread failed'));
          return;
        }
        case 'stopped':
          return;
      }
    });
    const failed = (error: Error) => {
      reject(error);
      if (!started || stopping || fallback) return;
      log.error({ err: { message: error.message } }, 'the event delivery thread failed; delivering from the main thread instead');
      fallback = options.fallback();
      for (const pending of waiting.values()) pending.reject(error);
      waiting.clear();
    };
    worker.once('error', failed);
    worker.once('exit', (code) => failed(new Error(`the event delivery thread exited (code ${code})`)));
  });
  try {
    await ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  started = true;
  const send = (request: ThreadRequest) => worker.postMessage(request);
  return {
    wake: () => (fallback ? fallback.wake() : send({ op: 'wake' })),
    runOnce: () => {
      if (fallback) return fallback.runOnce();
      const id = nextId++;
      return new Promise<PassResult>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        send({ op: 'runOnce', id });
      });
    },
    async stop() {
      stopping = true;
      if (fallback) return fallback.stop();
      send({ op: 'stop' });
      await exited;
    },
  };
}
