/**
 * Inside one daemon, pulls of one source run one after another. A pull that is already running or
 * waiting in the same mode makes a new request redundant (skipped); an incremental pull is also
 * redundant while a full one is running or waiting. Across processes the database lease decides.
 */
import type { RunMode } from './types.js';

export class SourceLocks {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly pending = new Map<string, Set<RunMode>>();

  /** Runs `task` after any pull of the source in progress; null when skipped as redundant. */
  async run<T>(source: string, mode: RunMode, task: () => Promise<T>): Promise<T | null> {
    const modes = this.pending.get(source) ?? new Set<RunMode>();
    this.pending.set(source, modes);
    if (modes.has(mode) || (mode === 'incremental' && modes.has('full'))) return null;
    modes.add(mode);
    const previous = this.tails.get(source) ?? Promise.resolve();
    const current = previous.then(task).finally(() => modes.delete(mode));
    this.tails.set(
      source,
      current.catch(() => undefined),
    );
    return current;
  }

  /** Resolves when every pull started so far has ended. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.tails.values()]);
  }
}
