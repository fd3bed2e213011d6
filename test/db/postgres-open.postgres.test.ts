/**
 * A DATABASE_URL that leads to no usable PostgreSQL database — no server there, a wrong password,
 * no such database — fails at once naming DATABASE_URL with the password masked; one-shot commands
 * exit 2 (configuration). The password appears nowhere: not in messages, not in logs.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { maskDatabaseUrl } from '../../db/url.js';
import { openApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { cli } from '../helpers/cli.js';
import { captureLog } from '../helpers/log.js';
import { freshPostgresUrl, providedPostgres, runSync, withDatabase } from '../helpers/postgres.js';

const PASSWORD = 'Pw-that-must-not-leak-7361';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function withPassword(url: string, password: string): string {
  const next = new URL(url);
  next.password = password;
  return next.toString();
}

async function expectConfigurationError(url: string, reason: RegExp): Promise<void> {
  const password = decodeURIComponent(new URL(url).password);
  const run = await cli(['status'], { DATABASE_URL: url });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain(`DATABASE_URL: the PostgreSQL database ${maskDatabaseUrl(url)}`);
  expect(run.stderr).toContain(':***@');
  expect(run.stderr).toMatch(reason);
  expect(run.stderr + run.stdout).not.toContain(password);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('a PostgreSQL DATABASE_URL that does not work', () => {
  it('no server at that address: exit 2, naming DATABASE_URL, password masked', async () => {
    await expectConfigurationError(`postgres://waba:${PASSWORD}@127.0.0.1:${await closedPort()}/waba`, /ECONNREFUSED/);
  });

  it('a wrong password: exit 2, naming DATABASE_URL, password masked', async () => {
    await expectConfigurationError(withPassword(providedPostgres().adminUrl, PASSWORD), /password authentication failed/);
  });

  it('a database that does not exist: exit 2, naming DATABASE_URL, password masked', async () => {
    // The server's own password, so that it gets as far as looking for the database.
    await expectConfigurationError(withDatabase(providedPostgres().adminUrl, 'waba_no_such_database'), /does not exist/);
  });

  it('a database that is not UTF8: exit 2, naming DATABASE_URL and the encoding', async () => {
    const { adminUrl, prefix } = providedPostgres();
    const name = `${prefix}ascii_${process.pid}`;
    runSync(adminUrl, `create database "${name}" template template0 encoding 'SQL_ASCII' locale 'C'`);
    await expectConfigurationError(withDatabase(adminUrl, name), /encoding SQL_ASCII; waba-sync needs UTF8/);
  });

  it('npm run sync, the real command: exit 2 with the message, no stack trace, no password', () => {
    const url = `postgresql://waba:${PASSWORD}@127.0.0.1:1/waba`;
    const result = spawnSync('npm', ['run', '--silent', 'sync'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: url, DIGITAL99_CLIENT_ID: 'id', DIGITAL99_CLIENT_SECRET: 'secret', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('DATABASE_URL: the PostgreSQL database postgresql://waba:***@127.0.0.1:1/waba');
    expect(result.stderr + result.stdout).not.toContain(PASSWORD);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('start-up logs the backend and the URL with the password masked', async () => {
    const url = freshPostgresUrl();
    const logs = captureLog('info');
    const app = await openApp(parseConfig({ DATABASE_URL: url }), { log: logs.log });
    await app.close();
    const opened = logs.lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'database opened');
    expect(opened).toMatchObject({ backend: 'postgres', database: maskDatabaseUrl(url) });
    expect(opened.database).toContain(':***@');
    expect(logs.text()).not.toContain(new URL(url).password);
  });
});
