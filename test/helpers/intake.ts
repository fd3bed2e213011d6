/**
 * A real daemon with its webhook intake on a free loopback port, on the real clock, against a
 * harness's simulator and database; and what a test reads back (events, runs, the inbox).
 */
import { afterEach } from 'vitest';
import { type App, openApp } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { type Env, parseConfig } from '../../src/config.js';
import { type Daemon, startDaemon } from '../../src/daemon/runtime.js';
import { type CapturedLog, captureLog } from './log.js';
import { until } from './wait.js';

const running: { daemon: Daemon; app: App }[] = [];
afterEach(async () => {
  while (running.length > 0) {
    const { daemon, app } = running.pop()!;
    await daemon.stop(3_000);
    await app.close();
  }
});

export interface IntakeDaemon {
  readonly app: App;
  readonly daemon: Daemon;
  readonly logs: CapturedLog;
  /** http://127.0.0.1:<webhook port> */
  readonly url: string;
  post(path: string, body: string | Buffer, headers?: Record<string, string>): Promise<{ status: number; text: string }>;
  get(path: string): Promise<{ status: number; text: string }>;
  /** Events of these types (all when omitted), oldest first. */
  events(...types: string[]): Promise<{ type: string; key: string; after: unknown; run_id: number | null }[]>;
  /** Waits (at most ~`seconds`) until `n` events of `type` exist. */
  eventually(type: string, n?: number, seconds?: number): Promise<void>;
}

/** Schedules that never fire during a test: only the start-up catch-up (the baseline) and webhooks pull. */
const QUIET: Env = { HTTP_PORT: '0', WEBHOOK_PORT: '0', SYNC_CRON: '0 0 1 1 *', FULL_SYNC_CRON: '0 0 1 1 *', DIGEST_CRON: '0 0 1 1 *' };

/** `clock`: a manual one, to let days pass between deliveries (the listener and the lanes still wait in real time). */
export async function intakeDaemon(env: Env, options: { skipCatchUp?: boolean; clock?: Clock } = {}): Promise<IntakeDaemon> {
  const logs = captureLog('info');
  const app = await openApp(parseConfig({ ...QUIET, ...env }), { log: logs.log, ...(options.clock ? { clock: options.clock } : {}) });
  const daemon = await startDaemon(app, { intakePollMs: 100, ...(options.skipCatchUp ? { jobs: [] } : {}) });
  running.push({ daemon, app });
  await daemon.caughtUp;
  const url = `http://127.0.0.1:${daemon.webhookPort}`;
  const events: IntakeDaemon['events'] = async (...types) => {
    let query = app.db.selectFrom('event').select(['type', 'key', 'after', 'run_id']).orderBy('id');
    if (types.length > 0) query = query.where('type', 'in', types);
    return (await query.execute()).map((row) => ({ ...row, after: row.after === null ? null : (JSON.parse(row.after) as unknown) }));
  };
  return {
    app,
    daemon,
    logs,
    url,
    async post(path, body, headers = {}) {
      const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      return { status: response.status, text: await response.text() };
    },
    async get(path) {
      const response = await fetch(`${url}${path}`);
      return { status: response.status, text: await response.text() };
    },
    events,
    async eventually(type, n = 1, seconds = 5) {
      await until(async () => (await events(type)).length >= n, `${n} ${type} event(s)`, seconds * 40);
    },
  };
}
