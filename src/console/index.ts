/**
 * Composing the console for a process: the daemon (src/daemon/runtime.ts) and `console` alone
 * (src/commands/console.ts) both call `startConsoleFor`; null when CONSOLE_USERS is unset.
 */
import type { App } from '../app.js';
import type { SourceName } from '../config.js';
import { type RunResult, runSourcePull } from '../sync/run-source.js';
import type { SourceLocks } from '../sync/source-locks.js';
import { type ConsoleHandler, buildConsole } from './server.js';

export interface ConsoleHost {
  readonly handler: ConsoleHandler;
  close(): Promise<void>;
}

export interface ConsoleHostDeps {
  /** The daemon's per-source locks: "Sync now" then waits its turn behind a scheduled pull of the same source. */
  readonly locks?: SourceLocks;
  readonly signal?: AbortSignal;
  readonly onRun?: (result: RunResult) => void;
  readonly onError: (error: unknown) => void;
}

export async function startConsoleFor(app: App, deps: ConsoleHostDeps): Promise<ConsoleHost | null> {
  const settings = app.config.console;
  if (!settings) return null;
  const syncNow = async (name: SourceName) => {
    const source = app.sources.get(name);
    if (!source) return null;
    // runSourcePull takes the source's lease: across processes, one pull of a source at a time.
    const pull = () => runSourcePull({ db: app.db, clock: app.clock, log: app.log, scrubber: app.scrubber, signal: deps.signal }, source, 'full');
    const result = deps.locks ? await deps.locks.run(name, 'full', pull) : await pull();
    if (result) deps.onRun?.(result);
    return result;
  };
  const built = await buildConsole({ app, settings, syncNow, onError: deps.onError });
  return { handler: built.handler, close: () => built.app.close() };
}
