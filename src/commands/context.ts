/**
 * Where every one-shot command gets its world from: the configuration read once from its
 * environment (and `.env` in its working directory), then one App — database, clock, logger,
 * sources, their shared clients and the secret scrubber — closed when the command ends. The daemon
 * (src/daemon.ts) composes the same App for its whole life.
 */
import { type App, openApp } from '../app.js';
import { type Config, loadEnv, parseConfig } from '../config.js';
import type { CliIo } from './io.js';

export function commandConfig(io: Pick<CliIo, 'env' | 'cwd'>): Config {
  return parseConfig(loadEnv(io.env, io.cwd));
}

/** Runs `work` with an App opened from `config`, with the command's clock and logger when given. */
export async function withApp<T>(io: CliIo, config: Config, work: (app: App) => Promise<T>): Promise<T> {
  const app = await openApp(config, { clock: io.clock, log: io.log, announceDatabase: false });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}
