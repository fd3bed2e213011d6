/**
 * `npm run demo`: no configuration needed. Starts the bundled simulator, syncs a baseline into
 * ./data/demo.sqlite, applies a scripted day of changes, syncs again and prints the events; then a
 * change arrives by webhook and is an event within moments, before any poll.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type App, openApp } from './app.js';
import { startIntake } from './intake/index.js';
import { createMetrics } from './observability/metrics.js';
import type { MetaWorld } from './simulator/meta.js';
import { metaSender } from './simulator/webhooks.js';
import { SourceLocks } from './sync/source-locks.js';
import { parseConfig } from './config.js';
import { describeEvent } from './events/format.js';
import { textTable } from './render/text-table.js';
import { listEvents } from './events/query.js';
import { createLogger } from './log.js';
import { summaryTable } from './commands/sync.js';
import { startScenarioUpstreams } from './simulator/scenarios.js';
import { syncSources } from './sync/sync-sources.js';

const DATABASE = './data/demo.sqlite';

async function main(): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${DATABASE}${suffix}`, { force: true });
  const { digital99, dialog360, meta, simulator, env } = await startScenarioUpstreams(() => new Date());
  const config = parseConfig({
    DATABASE_URL: DATABASE,
    ...env,
    // The webhook intake on a free loopback port, with a secret made for this run.
    WEBHOOK_PORT: '0',
    META_APP_SECRET: randomBytes(16).toString('hex'),
    META_WEBHOOK_VERIFY_TOKEN: randomBytes(16).toString('hex'),
    LOG_LEVEL: 'warn',
  });
  const app = await openApp(config, { log: createLogger({ level: 'warn' }) });
  const out = (text = '') => process.stdout.write(`${text}\n`);
  const sync = async () => syncSources({ db: app.db, clock: app.clock, log: app.log }, [...app.sources.values()], 'full');
  try {
    out(`waba-sync demo — simulator at ${simulator.url}, database ${DATABASE}\n`);
    out('1. Baseline sync');
    const baseline = await sync();
    out(summaryTable(baseline));
    const firstEventId = (await listEvents(app.db)).at(-1)?.id ?? 0;

    out('\n2. A day passes upstream:');
    for (const line of digital99.day()) out(`   - 99digital: ${line}`);
    for (const line of dialog360.day()) out(`   - 360dialog: ${line}`);
    for (const line of meta.day()) out(`   - Meta: ${line}`);

    out('\n3. Second sync');
    const second = await sync();
    out(summaryTable(second));

    const events = await listEvents(app.db, { afterId: firstEventId });
    out(`\n4. Events detected (${events.length}):`);
    out(textTable(['TYPE', 'KEY', 'DETAIL'], events.map((e) => [e.type, e.key, describeEvent(e)])));
    await webhookStep(app, meta.world, out);
    out(`\nTry: DATABASE_URL=${DATABASE} npm run --silent cli -- events --json`);
    out(`     DATABASE_URL=${DATABASE} npm run --silent cli -- digest --preview ./data/digest-preview`);
    const failed = [...baseline, ...second].filter((r) => r.outcome !== 'complete');
    if (failed.length > 0) throw new Error(`demo sync failed: ${failed.map((r) => r.error).join('; ')}`);
  } finally {
    await app.close();
    await simulator.close();
  }
}

/** 5. A change that arrives by webhook: an event within moments, before any poll. */
async function webhookStep(app: App, world: MetaWorld, out: (text?: string) => void): Promise<void> {
  const controller = new AbortController();
  const intake = await startIntake(app, { metrics: createMetrics(app.db, () => [...app.sources.keys()]), locks: new SourceLocks(), signal: controller.signal, pollMs: 200 });
  try {
    world.webhooks = metaSender(`http://127.0.0.1:${intake.port}/webhooks/meta`, app.config.meta!.webhook!.appSecret);
    const before = (await listEvents(app.db)).at(-1)?.id ?? 0;
    out(`\n5. A WABA is shared and Meta sends PARTNER_ADDED to the webhook intake (port ${intake.port}); no poll runs`);
    const started = performance.now();
    const waba = world.shareWaba({ name: 'Webhook Bistro' });
    world.addPhoneNumber(waba.id);
    let events = await listEvents(app.db, { afterId: before });
    for (let i = 0; i < 200 && events.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      events = await listEvents(app.db, { afterId: before });
    }
    await intake.processor?.settled();
    events = await listEvents(app.db, { afterId: before });
    out(`   ${events.length} event(s) ${Math.round(performance.now() - started)} ms after the change:`);
    out(textTable(['TYPE', 'KEY', 'DETAIL'], events.map((e) => [e.type, e.key, describeEvent(e)])));
    if (!events.some((e) => e.type === 'waba.shared')) throw new Error('demo: the webhook did not become a waba.shared event');
  } finally {
    controller.abort();
    await intake.stop();
  }
}

await main();
