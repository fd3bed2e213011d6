/**
 * The benchmark's side of the sync worker: start it, send a request, await its reply. Run from the
 * compiled build (`npm run bench`), the worker is the compiled worker under plain `node`, as
 * production runs; run from source (tests), it is the TypeScript worker under tsx.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NODE_MEMORY_FLAGS } from '../node-flags.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class SyncWorker {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: WorkerReply) => {
      const pending = this.waiting.get(reply.id);
      if (!pending) return;
      this.waiting.delete(reply.id);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(new Error(`sync worker: ${reply.error}`));
    });
    child.on('exit', (code, signal) => {
      for (const pending of this.waiting.values()) pending.reject(new Error(`sync worker exited (${signal ?? code})`));
      this.waiting.clear();
    });
  }

  /** `cpuProfileDir`: the worker writes a V8 CPU profile there when it exits (node --cpu-prof). */
  static start(options: { cpuProfileDir?: string } = {}): SyncWorker {
    const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
    const fromSource = import.meta.url.endsWith('.ts');
    const worker = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);
    const loader = fromSource ? ['--import', tsxLoader()] : [];
    const child = fork(fileURLToPath(worker), [], {
      // The product's own memory flags, so the peak RSS measured is what `npm start` would reach.
      execArgv: [...NODE_MEMORY_FLAGS, ...loader, ...profile],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new SyncWorker(child);
  }

  request<T>(request: Request): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ ...request, id });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.request({ op: 'close' }).catch(() => undefined);
    this.child.disconnect();
    await exited;
  }
}

/** tsx's loader as an absolute URL, so the worker starts whatever the working directory. */
function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}
