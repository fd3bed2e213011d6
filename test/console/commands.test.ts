/** `console-user` (the entry for CONSOLE_USERS) and `console` (the console without the daemon), as built, in child processes. */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { openApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { startConsoleFor } from '../../src/console/index.js';
import { parseConsoleUsers, verifyPassword } from '../../src/console/passwords.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { startObservabilityServer } from '../../src/observability/server.js';
import { tempDbPath } from '../helpers/temp.js';

const ENV = { PATH: process.env.PATH, HOME: process.env.HOME };

describe('console-user', () => {
  it('reads the password from standard input and prints a NAME:hash entry that verifies it', async () => {
    const result = spawnSync('npm', ['run', '--silent', 'cli', '--', 'console-user', 'alice'], { input: 'a long enough password\n', encoding: 'utf8', env: ENV, timeout: 60_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain('a long enough password');
    const { users, problems } = parseConsoleUsers(result.stdout.trim());
    expect(problems).toEqual([]);
    expect(users[0]!.name).toBe('alice');
    expect(await verifyPassword('a long enough password', users[0]!.hash)).toBe(true);
    expect(await verifyPassword('a long enough passworD', users[0]!.hash)).toBe(false);
  });

  it('refuses a short password (exit 2)', () => {
    const result = spawnSync('npm', ['run', '--silent', 'cli', '--', 'console-user', 'alice'], { input: 'short\n', encoding: 'utf8', env: ENV, timeout: 60_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('at least 12 characters');
  });

  it('names a malformed CONSOLE_USERS entry without printing it', () => {
    expect(() => parseConfig({ CONSOLE_USERS: 'bob:secret-in-clear' })).toThrow(/CONSOLE_USERS: entry 1 \(bob\): expected name:scrypt/);
    expect(() => parseConfig({ CONSOLE_USERS: 'bob:secret-in-clear' })).not.toThrow(/secret-in-clear/);
  });
});

describe('console', () => {
  it('serves the console, /healthz and /metrics without the daemon, and stops on SIGINT', async () => {
    const line = spawnSync('npm', ['run', '--silent', 'cli', '--', 'console-user', 'ops'], { input: 'operator password 1\n', encoding: 'utf8', env: ENV, timeout: 60_000 });
    const child = spawn('node', ['dist/src/cli.js', 'console'], {
      env: { ...ENV, DATABASE_URL: tempDbPath(), CONSOLE_USERS: line.stdout.trim(), HTTP_PORT: '0', LOG_LEVEL: 'silent' },
      cwd: process.cwd(),
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += String(chunk);
    });
    while (!/Web console on (http:\S+\/)/.test(out)) await once(child.stdout, 'data');
    const url = /Web console on (http:\S+)\//.exec(out)![1]!;
    expect((await fetch(`${url}/login`)).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).headers.get('content-type')).toContain('application/json');
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('is off when CONSOLE_USERS is unset: / answers 404 beside /healthz', async () => {
    const app = await openApp(parseConfig({ DATABASE_URL: tempDbPath() }), { log: silentLogger, announceDatabase: false });
    expect(await startConsoleFor(app, { onError: () => undefined })).toBeNull();
    const health = async () => ({ ok: true, checkedAt: '2026-01-01T00:00:00.000Z', maxAgeSeconds: 1, maxFullAgeSeconds: 1, sources: [], stale: [] });
    const server = await startObservabilityServer({ host: '127.0.0.1', port: 0 }, { metrics: createMetrics(app.db, () => []), health, onError: () => undefined });
    try {
      expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${server.port}/login`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
      await app.close();
    }
  });
});
