/**
 * `npm start`: the long-running daemon. Runs the jobs of jobs/schedule.ts on node-cron in TIMEZONE,
 * never two runs of one job at once; on SIGTERM/SIGINT stops scheduling, aborts in-flight pulls
 * (nothing half-done is applied) and exits 0.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { scheduleTable } from '../jobs/schedule.js';
import { openApp } from './app.js';
import { enabledSources, loadEnv, parseConfig } from './config.js';
import { ConfigError, describeError } from './errors.js';

async function main(): Promise<number> {
  let config;
  try {
    config = parseConfig(loadEnv(process.env, process.cwd()));
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : describeError(error)}\n`);
    return 2;
  }
  if (enabledSources(config).length === 0) {
    process.stderr.write('No source is enabled: set the credentials of at least one source (see .env.example).\n');
    return 2;
  }
  const app = await openApp(config);
  const controller = new AbortController();
  const running = new Set<Promise<unknown>>();
  const tasks: ScheduledTask[] = [];

  for (const job of scheduleTable(app)) {
    const task = cron.schedule(
      job.cron,
      async () => {
        const run = job.run(controller.signal).catch((error) => app.log.error({ job: job.name, error: describeError(error) }, 'job failed'));
        running.add(run);
        await run;
        running.delete(run);
      },
      { name: job.name, timezone: config.timezone, noOverlap: true },
    );
    tasks.push(task);
    app.log.info({ job: job.name, cron: job.cron, next: task.getNextRun()?.toISOString() }, `scheduled ${job.name}`);
  }

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      app.log.info({ signal }, 'stopping');
      process.once('SIGTERM', () => process.exit(0));
      process.once('SIGINT', () => process.exit(0));
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  for (const task of tasks) await task.stop();
  controller.abort();
  await Promise.allSettled([...running]);
  await app.close();
  return 0;
}

process.exitCode = await main();
