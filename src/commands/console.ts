/**
 * `console-user NAME`: reads a password from standard input (its first line) and prints the
 * CONSOLE_USERS entry `NAME:scrypt.…` — the password itself is never printed or stored.
 * `console`: serves the web console (and /healthz, /metrics) on HTTP_HOST:HTTP_PORT without the
 * daemon's schedule, until interrupted.
 */
import { type App, openApp } from '../app.js';
import { startConsoleFor } from '../console/index.js';
import { hashPassword } from '../console/passwords.js';
import { UsageError } from '../errors.js';
import { createDatabaseProbe } from '../observability/database-probe.js';
import { type HealthReport, healthMaxFullAgeSeconds, readHealth } from '../observability/health.js';
import { createMetrics } from '../observability/metrics.js';
import { startObservabilityServer } from '../observability/server.js';
import { commandConfig } from './context.js';
import { type CliIo, writeLine } from './io.js';

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

export async function consoleUserCommand(io: CliIo, name: string): Promise<number> {
  if (!NAME.test(name)) throw new UsageError(`console-user: NAME: 1 to 64 letters, digits or . _ @ -, got ${JSON.stringify(name)}`);
  if (!io.stdin) throw new UsageError('console-user: no standard input to read the password from');
  if ((io.stdin as { isTTY?: boolean }).isTTY) writeLine(io.stderr, 'Password (shown as you type; or pipe it in), then Enter:');
  const password = await firstLine(io.stdin);
  if (password.length < 12) throw new UsageError('console-user: the password must have at least 12 characters');
  writeLine(io.stdout, `${name}:${await hashPassword(password)}`);
  return 0;
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

export async function consoleCommand(io: CliIo): Promise<number> {
  const config = commandConfig(io);
  if (!config.console) throw new UsageError('console: CONSOLE_USERS is not set; make an entry with `npm run --silent cli -- console-user NAME` (docs/console.md)');
  const app: App = await openApp(config, { clock: io.clock, log: io.log });
  try {
    const metrics = createMetrics(app.db, () => [...app.sources.keys()]);
    const onError = (error: unknown) => app.log.error({ error: app.scrubber.describe(error) }, 'console request failed');
    const host = await startConsoleFor(app, { signal: io.signal, onRun: (result) => metrics.recordRun(result), onError });
    const probe = createDatabaseProbe(app.db, config.databasePath, app.scrubber);
    const health = async (): Promise<HealthReport> => {
      const database = await probe();
      if (!database.ok) return { ok: false, checkedAt: app.clock().toISOString(), database };
      const sources = [...app.sources.values()].map((s) => ({ name: s.name, supportsIncremental: s.supportsIncremental }));
      return { ...(await readHealth(app.db, sources, app.clock(), { maxAgeSeconds: config.healthMaxAgeSeconds, maxFullAgeSeconds: healthMaxFullAgeSeconds(config) })), database };
    };
    const server = await startObservabilityServer({ host: config.httpHost, port: config.httpPort }, { metrics, health, onError, ...(host ? { console: host.handler } : {}) });
    const shown = config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost;
    writeLine(io.stdout, `Web console on http://${shown}:${server.port}/ (Ctrl-C stops it)`);
    await new Promise<void>((resolve) => {
      if (!io.signal || io.signal.aborted) return resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
    await host?.close();
    return 0;
  } finally {
    await app.close();
  }
}
