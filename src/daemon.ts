/**
 * `npm start`: the long-running daemon. SIGTERM/SIGINT stop scheduling, abort in-flight pulls
 * (nothing half-done is applied: a pull only changes state in its final transaction), let the
 * current transaction finish, flush logs and exit 0 within 10 s; a second signal exits at once.
 * An uncaught exception or unhandled rejection is logged with its causes and exits 70.
 */
import { type App, openApp } from './app.js';
import { commandConfig } from './commands/context.js';
import { type Config, enabledSources } from './config.js';
import { type Daemon, startDaemon } from './daemon/runtime.js';
import { WabaSyncError, describeError, describeErrorChain, stackFrames } from './errors.js';

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
  let app: App;
  try {
    app = await openApp(config);
  } catch (error) {
    // The database can't be opened (path, permissions, a damaged file): the message names it.
    process.stderr.write(`${describeError(error)}\n`);
    return error instanceof WabaSyncError && error.code === 'CONFIG' ? 2 : 1;
  }
  const { log } = app;
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
    daemon = await startDaemon(app);
  } catch (error) {
    log.fatal({ error: app.scrubber.describe(error) }, 'the daemon could not start');
    await app.close();
    return 2;
  }

  // Listeners stay installed from here on, so no signal ever meets Node's default (die at once).
  // One sent to the process group can reach us twice (directly and forwarded by npm): only a
  // signal arriving more than a second after the first means "stop now".
  let firstSignalAt: number | null = null;
  const signal = await new Promise<string>((resolve) => {
    const onSignal = (name: string) => {
      if (firstSignalAt === null) {
        firstSignalAt = Date.now();
        resolve(name);
      } else if (Date.now() - firstSignalAt > 1_000) {
        process.exit(0);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  log.info({ signal }, 'stopping: no new jobs, aborting in-flight pulls');
  // Whatever happens, be gone within 10 s; the database stays consistent either way.
  setTimeout(() => process.exit(0), 9_500).unref();
  await daemon.stop(8_000);
  await app.close();
  log.info('stopped');
  return 0;
}

process.exitCode = await main();
