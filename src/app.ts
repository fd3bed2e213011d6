/** Composition: from a validated configuration to an open database and the enabled sources. */
import { type Db, openDatabase } from '../db/database.js';
import { backendOf, maskDatabaseUrl } from '../db/url.js';
import { type Clock, systemClock } from './clock.js';
import type { Config, SourceName } from './config.js';
import { type Logger, createLogger } from './log.js';
import { SecretScrubber, configuredSecrets, lazyFingerprint } from './secrets.js';
import { createSources } from './sources/index.js';
import { PageThread } from './sources/page-thread.js';
import { SharedClients } from './sources/upstream.js';
import { SnapshotCache } from './sync/snapshot.js';
import type { Source } from './sync/types.js';

export interface App {
  readonly config: Config;
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly sources: ReadonlyMap<SourceName, Source>;
  /** Cuts every known secret out of messages; the sources add what they learn (tokens, apiKeys). */
  readonly scrubber: SecretScrubber;
  /** Clients shared by the sources and the rest of the App (the report reads 99digital's statistics). */
  readonly clients: SharedClients;
  /** Each source's snapshot kept between this process's pulls (src/sync/snapshot.ts). */
  readonly snapshots: SnapshotCache;
  /** The thread the sources' pages are read on (src/sources/page-thread.ts). */
  readonly pages: PageThread;
  close(): Promise<void>;
}

export interface AppOptions {
  clock?: Clock;
  log?: Logger;
  /**
   * Log the backend and the masked URL once opened (default true): a service's start-up says
   * where it keeps its data. One-shot commands pass false; `status` prints the URL itself, and an
   * INFO line before every command's output is noise on a terminal.
   */
  announceDatabase?: boolean;
}

export async function openApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger({ level: config.logLevel, format: config.logFormat });
  const db = await openDatabase(config.databasePath, { busyTimeoutMs: config.databaseBusyTimeoutMs });
  if (options.announceDatabase !== false) log.info({ backend: backendOf(config.databasePath), database: maskDatabaseUrl(config.databasePath) }, 'database opened');
  const fingerprint = lazyFingerprint(db, config.fingerprintSecret);
  const scrubber = new SecretScrubber(configuredSecrets(config));
  const clients = new SharedClients();
  // Pages are read into records on a thread of their own, the second core (src/sources/page-thread.ts).
  const pages = new PageThread();
  const sources = createSources(config, { clock, fingerprint, scrubber, clients, pages });
  const close = async () => {
    await pages.close();
    await db.destroy();
  };
  return { config, db, clock, log, sources, scrubber, clients, snapshots: new SnapshotCache(), pages, close };
}
