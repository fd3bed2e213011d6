/**
 * `npm start`: the long-running daemon. SIGTERM/SIGINT stop scheduling, abort in-flight pulls
 * (nothing half-done is applied: a pull only changes state in its final transaction), let the
 * current transaction finish, flush logs and exit 0 within 10 s; a second signal exits at once.
 * An uncaught exception or unhandled rejection is logged with its causes and exits 70.
 * A PostgreSQL server that does not answer at start is waited for (src/daemon/wait-for-database.ts);
 * a DATABASE_URL waiting can't fix (wrong password, no such database, impossible path) exits 2.
 */
import { type App, openApp } from './app.js';
import { commandConfig } from './commands/context.js';
import { type Config, enabledSources } from './config.js';
import { type Daemon, startDaemon } from './daemon/runtime.js';
import { databaseWait, worthWaitingFor } from './daemon/wait-for-database.js';
import { WabaSyncError, describeError, describeErrorChain, stackFrames } from './errors.js';
import { createLogger } from './log.js';
import { type ObservabilityServer, startObservabilityServer } from './observability/server.js';

/** The exit code after an uncaught exception or unhandled rejection (EX_SOFTWARE, sysexits.h). */
const EXIT_FATAL = 70;

async function main(): Promise<number> {
  let config: Config;
  try {
    config = commandConfig({ env: process.env, cwd: process.cwd() });
  } catch (error) {
    process.stderr.write(`${describeError(error)}\n`);
    return 2;
  }
  if (enabledSources(config).length === 0) {
    const hints = Object.entries(config.disabledReasons).map(([name, reason]) => `  ${name}: ${reason}`);
    process.stderr.write(`No source is enabled. Set the credentials of at least one:\n${hints.join('\n')}\n`);
    return 2;
  }
  // Listeners from the start, so no signal ever meets Node's default (die at once), not even
  // while the daemon waits for its database. One sent to the process group can reach us twice
  // (directly and forwarded by npm): only a signal arriving more than a second after the first
  // means "stop now". Whatever happens after the first, be gone within 10 s; the database stays
  // consistent either way.
  const stop = new AbortController();
  let firstSignalAt: number | null = null;
  const stopRequested = new Promise<string>((resolve) => {
    const onSignal = (name: string) => {
      if (firstSignalAt === null) {
        firstSignalAt = Date.now();
        setTimeout(() => process.exit(0), 9_500).unref();
        stop.abort();
        resolve(name);
      } else if (Date.now() - firstSignalAt > 1_000) {
        process.exit(0);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });

  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  let app: App;
  let waitingServer: ObservabilityServer | undefined;
  try {
    app = await openApp(config, { log });
  } catch (error) {
    if (!worthWaitingFor(config, error)) {
      // The database can't be opened (path, permissions, a damaged file, a wrong password, no such
      // database): the message names it; waiting would not help.
      process.stderr.write(`${describeError(error)}\n`);
      return exitCodeForOpenFailure(error);
    }
    // The PostgreSQL server does not answer (yet): wait for it, answering /healthz meanwhile.
    const wait = databaseWait({ config, log, signal: stop.signal, open: () => openApp(config, { log }) }, error);
    try {
      waitingServer = await startObservabilityServer({ host: config.httpHost, port: config.httpPort }, wait.serverDeps);
    } catch (failure) {
      // HTTP_HOST/HTTP_PORT can't be listened on (taken, no such interface): as when the database answers.
      log.fatal({ error: describeError(failure) }, 'the daemon could not start');
      return 2;
    }
    try {
      const opened = await wait.waitForDatabase();
      if (opened === null) {
        await waitingServer.close();
        log.info('stopped');
        return 0;
      }
      app = opened;
    } catch (failure) {
      await waitingServer.close();
      process.stderr.write(`${describeError(failure)}\n`);
      return exitCodeForOpenFailure(failure);
    }
  }
  // After an error nothing caught, the daemon's state is unknown (a job half-done, a timer gone):
  // log it with its causes and exit non-zero so the supervisor starts a fresh process. The
  // database needs no cleanup: a pull changes state only in its final transaction.
  const exitOnFatal = (what: string) => (error: unknown) => {
    log.fatal({ error: app.scrubber.scrub(describeErrorChain(error)), stack: stackFrames(error) }, `${what}: the daemon exits so that its supervisor restarts it`);
    process.exit(EXIT_FATAL);
  };
  process.on('uncaughtException', exitOnFatal('uncaught exception'));
  process.on('unhandledRejection', exitOnFatal('unhandled rejection'));

  let daemon: Daemon;
  try {
    daemon = await startDaemon(app, { server: waitingServer });
  } catch (error) {
    log.fatal({ error: app.scrubber.describe(error) }, 'the daemon could not start');
    await waitingServer?.close();
    await app.close();
    return 2;
  }

  const signal = await stopRequested;
  log.info({ signal }, 'stopping: no new jobs, aborting in-flight pulls');
  await daemon.stop(8_000);
  await app.close();
  log.info('stopped');
  return 0;
}

/** 2 when the setting is what needs fixing (CONFIG), 1 when the database itself failed. */
function exitCodeForOpenFailure(error: unknown): number {
  return error instanceof WabaSyncError && error.code === 'CONFIG' ? 2 : 1;
}

process.exitCode = await main();
