/**
 * The page thread: a worker thread that turns a page's text into prepared rows (page-tasks.ts) —
 * parsing, validating, building records, canonical JSON and hashing, most of a pull's work per
 * entity — on the machine's second core, while the pull's thread waits on the network and writes
 * to the database. One thread for the App's pulls: the work per page is a few milliseconds
 * against tens of milliseconds of network per page, and each isolate costs memory.
 *
 * Started when a page comes, stopped once no page has come for IDLE_MS: a working isolate holds
 * ≈ 45 MB (its young generation, the 2 × 4 MB semi-spaces NODE_MEMORY_FLAGS give every isolate of
 * the process, its heap, the pages in flight), which would otherwise stay beside the next pull of
 * a source read on the main thread (docs/benchmark.md, "Memory: where the peak RSS goes"). Pages
 * queue in arrival order, whichever source they come from. It never holds the process
 * open while idle, and closes with the App. Should it fail (it could not start, or died), the
 * pages it held fail their pulls (INTERNAL, naming why; the next poll reads again) and the App
 * reads its pages on the pull's own thread from then on: slower, never wrong.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PayloadError, WabaSyncError } from '../errors.js';
import { type PageEarly, type PageParams, type PageReader, type PageResult, type PageTask, inlinePages } from './page-tasks.js';

export interface PageThreadRequest {
  readonly id: number;
  readonly task: string;
  readonly text: string;
  readonly params: unknown;
}

/** The final replies say how long the page took on the thread (`ms`). */
export type PageThreadReply =
  | { readonly id: number; readonly early: true; readonly value: unknown }
  | { readonly id: number; readonly ok: true; readonly value: unknown; readonly ms: number }
  | { readonly id: number; readonly ok: false; readonly payload: { source: string; call: string; detail: string }; readonly ms: number }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly ms: number };

/** The compiled thread: beside this file in dist/; from the TypeScript sources (tests, which build dist/ first) the one in dist/. */
export function pageThreadScript(): string {
  const sibling = fileURLToPath(new URL('./page-thread-main.js', import.meta.url));
  return existsSync(sibling) ? sibling : fileURLToPath(new URL('../../dist/src/sources/page-thread-main.js', import.meta.url));
}

/** How long the thread outlives its last page: more than the gaps between a pull's pages. */
export const IDLE_MS = 1000;

interface Pending {
  early?: (value: never) => void;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class PageThread implements PageReader {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  private idle: NodeJS.Timeout | null = null;
  /** Why the thread failed, once it has: pages are then read inline. */
  private failure: Error | null = null;
  private busy = 0;

  constructor(private readonly idleMs = IDLE_MS) {}

  read<N extends PageTask>(task: N, text: string, params: PageParams<N>, early?: (value: PageEarly<N>) => void): Promise<PageResult<N>> {
    // Closed with its App (a pull still finishing), or failed: read on this thread.
    if (this.closed || this.failure) return inlinePages.read(task, text, params, early);
    let worker = this.worker;
    if (worker === null) {
      try {
        worker = this.start();
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
        return inlinePages.read(task, text, params, early);
      }
    }
    this.stopIdle();
    const id = this.nextId++;
    return new Promise<PageResult<N>>((resolve, reject) => {
      this.waiting.set(id, { early, resolve: resolve as (value: unknown) => void, reject });
      // Held open only while it has pages to read.
      if (this.waiting.size === 1) worker.ref();
      try {
        worker.postMessage({ id, task, text, params } satisfies PageThreadRequest);
      } catch (error) {
        this.waiting.delete(id);
        if (this.waiting.size === 0) worker.unref();
        reject(error);
      }
    });
  }

  /** Whether a thread is running (for tests). */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Why the thread failed, if it did (pages are then read inline). */
  get failed(): Error | null {
    return this.failure;
  }

  /** Milliseconds the thread has spent reading pages, all told (the bench shows each pull's share). */
  get busyMs(): number {
    return this.busy;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopIdle();
    const worker = this.worker;
    this.worker = null;
    const pages = [...this.waiting.values()];
    this.waiting.clear();
    for (const pending of pages) pending.reject(new WabaSyncError('ABORTED', 'the page thread was closed'));
    if (worker) await worker.terminate();
  }

  private stopIdle(): void {
    if (this.idle !== null) clearTimeout(this.idle);
    this.idle = null;
  }

  /** Stops an idle thread; the next page starts another. */
  private retire(worker: Worker): void {
    if (this.worker !== worker || this.waiting.size > 0) return;
    this.worker = null;
    void worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(pageThreadScript());
    worker.unref();
    worker.on('message', (reply: PageThreadReply) => {
      // A thread retired, failed or closed has no pages of ours left (they were answered or rejected).
      if (this.worker !== worker) return;
      if ('early' in reply) {
        this.waiting.get(reply.id)?.early?.(reply.value as never);
        return;
      }
      this.busy += reply.ms;
      const pending = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) {
        worker.unref();
        this.stopIdle();
        this.idle = setTimeout(() => this.retire(worker), this.idleMs).unref();
      }
      if (!pending) return;
      if (reply.ok) pending.resolve(reply.value);
      else if ('payload' in reply) pending.reject(new PayloadError(reply.payload.source, reply.payload.call, reply.payload.detail));
      else pending.reject(new WabaSyncError('INTERNAL', `page thread: ${reply.message}`));
    });
    const failed = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failure = error;
      const pages = [...this.waiting.values()];
      this.waiting.clear();
      for (const pending of pages) pending.reject(new WabaSyncError('INTERNAL', `the page thread failed: ${error.message}`, { cause: error }));
    };
    worker.on('error', failed);
    // A reply that could not be read leaves its page without an answer: the thread can't be trusted.
    worker.on('messageerror', (error) => {
      failed(error);
      void worker.terminate();
    });
    worker.on('exit', (code) => failed(new Error(`it exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
