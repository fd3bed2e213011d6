/**
 * A console over a simulated fleet with a day of changes (the demo's scenarios): the simulator on
 * loopback, a fresh database of the project's backend, two full syncs, and the console served on
 * port 0 beside /healthz and /metrics — as the daemon serves it.
 */
import { type App, openApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { startConsoleFor } from '../../src/console/index.js';
import { hashPassword } from '../../src/console/passwords.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { startObservabilityServer } from '../../src/observability/server.js';
import { type MetaScenario, startScenarioUpstreams } from '../../src/simulator/scenarios.js';
import { syncSources } from '../../src/sync/sync-sources.js';
import { tempDbPath } from './temp.js';

export const CONSOLE_USER = 'ops';
export const CONSOLE_PASSWORD = 'correct horse battery staple';
/** A business whose name is markup: the console must show it as text. */
export const HOSTILE_NAME = '<img src=x onerror=alert(1)>';
/** A business whose name a spreadsheet would run: the CSV export must neutralise it. */
export const FORMULA_NAME = '=HYPERLINK("https://evil.example","open")';

export interface ConsoleFixture {
  readonly url: string;
  readonly app: App;
  readonly meta: MetaScenario;
  /** Ids the tests look for. */
  readonly hostileWabaId: string;
  close(): Promise<void>;
}

export async function startConsoleFixture(env: Record<string, string> = {}): Promise<ConsoleFixture> {
  const { digital99, dialog360, meta, simulator, env: upstreams } = await startScenarioUpstreams(() => new Date());
  const config = parseConfig({
    DATABASE_URL: tempDbPath(),
    ...upstreams,
    CONSOLE_USERS: `${CONSOLE_USER}:${await hashPassword(CONSOLE_PASSWORD)}`,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await openApp(config, { log: createLogger({ level: 'silent' }), announceDatabase: false });
  const sync = async () => {
    const results = await syncSources({ db: app.db, clock: app.clock, log: app.log }, [...app.sources.values()], 'full');
    const failed = results.filter((r) => r.outcome !== 'complete');
    if (failed.length > 0) throw new Error(`fixture sync failed: ${failed.map((r) => r.error).join('; ')}`);
  };
  await sync();
  // Shared during the day, so each is an event too.
  const hostile = meta.world.shareWaba({ name: HOSTILE_NAME, account_review_status: 'APPROVED' });
  meta.world.addPhoneNumber(hostile.id, { verified_name: HOSTILE_NAME, display_phone_number: '+972 50-123 4567' });
  meta.world.shareWaba({ name: FORMULA_NAME, account_review_status: 'APPROVED' });
  // The same business on 360dialog (a channel on that WABA) and on 99digital (the same number's digits).
  dialog360.world.addChannel({ waba_account: { id: 'WA-linked', external_id: hostile.id, fb_account_status: 'verified' }, setup_info: { phone_number: '972501234567', phone_name: 'Linked channel' } });
  digital99.world.addNumber({ whatsapp: '972501234567', display_name: 'Linked number', business_name: 'Linked business' });
  digital99.day();
  dialog360.day();
  meta.day();
  await sync();
  const metrics = createMetrics(app.db, () => [...app.sources.keys()]);
  const host = await startConsoleFor(app, { onRun: (r) => metrics.recordRun(r), onError: (error) => console.error(error) });
  const health = async () => ({ ok: true, checkedAt: new Date().toISOString(), maxAgeSeconds: 1, maxFullAgeSeconds: 1, sources: [], stale: [] });
  const server = await startObservabilityServer({ host: '127.0.0.1', port: 0 }, { metrics, health, onError: (error) => console.error(error), ...(host ? { console: host.handler } : {}) });
  return {
    url: `http://127.0.0.1:${server.port}`,
    app,
    meta,
    hostileWabaId: hostile.id,
    async close() {
      await server.close();
      await host?.close();
      await app.close();
      await simulator.close();
    },
  };
}
