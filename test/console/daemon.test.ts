/** The daemon serves the console on HTTP_PORT beside /healthz and /metrics when CONSOLE_USERS is set, and not otherwise. */
import { afterEach, describe, expect, it } from 'vitest';
import { type App, openApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { hashPassword } from '../../src/console/passwords.js';
import { type Daemon, startDaemon } from '../../src/daemon/runtime.js';
import { digital99Harness } from '../helpers/digital99.js';
import { silentLogger } from '../../src/log.js';

const running: { daemon: Daemon; app: App }[] = [];
afterEach(async () => {
  while (running.length > 0) {
    const { daemon, app } = running.pop()!;
    await daemon.stop(2_000);
    await app.close();
  }
});

async function daemonWith(env: Record<string, string>) {
  const h = await digital99Harness();
  const app = await openApp(parseConfig({ ...h.env, HTTP_PORT: '0', SYNC_CRON: '0 0 1 1 *', FULL_SYNC_CRON: '0 0 1 1 *', ...env }), { log: silentLogger });
  const daemon = await startDaemon(app);
  running.push({ daemon, app });
  return `http://127.0.0.1:${daemon.port}`;
}

describe('the daemon and the console', () => {
  it('serves the console at / with CONSOLE_USERS, /healthz and /metrics unchanged', async () => {
    const url = await daemonWith({ CONSOLE_USERS: `ops:${await hashPassword('an operator password')}` });
    const root = await fetch(`${url}/`, { redirect: 'manual' });
    expect(root.status).toBe(303);
    expect(root.headers.get('location')).toBe('/login');
    expect(await (await fetch(`${url}/login`)).text()).toContain('Sign in');
    const health = await fetch(`${url}/healthz`);
    expect(health.headers.get('content-type')).toBe('application/json');
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
  });

  it('answers 404 at / without CONSOLE_USERS', async () => {
    const url = await daemonWith({});
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/login`)).status).toBe(404);
  });
});
