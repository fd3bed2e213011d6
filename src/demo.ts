/**
 * `npm run demo`: no configuration needed. Starts the bundled simulator, syncs a baseline into
 * ./data/demo.sqlite, applies a scripted day of changes, syncs again and prints the events.
 */
import { rmSync } from 'node:fs';
import { openApp } from './app.js';
import { parseConfig } from './config.js';
import { describeEvent } from './events/format.js';
import { textTable } from './render/text-table.js';
import { listEvents } from './events/query.js';
import { createLogger } from './log.js';
import { summaryTable } from './commands/sync.js';
import { startSimulator } from './simulator/server.js';
import { dialog360Scenario, digital99Scenario, metaScenario } from './simulator/scenarios.js';
import { syncSources } from './sync/sync-sources.js';

const DATABASE = './data/demo.sqlite';

async function main(): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${DATABASE}${suffix}`, { force: true });
  const digital99 = digital99Scenario(() => new Date());
  const dialog360 = dialog360Scenario(() => new Date());
  const meta = metaScenario(() => new Date());
  const simulator = await startSimulator({
    '/99digital/api': digital99.world.handler,
    '/360dialog/api/v2': dialog360.world.handler,
    '/meta': meta.world.handler,
  });
  const config = parseConfig({
    DATABASE_URL: DATABASE,
    DIGITAL99_API_URL: simulator.urlOf('/99digital/api'),
    DIGITAL99_CLIENT_ID: digital99.world.clientId,
    DIGITAL99_CLIENT_SECRET: digital99.world.clientSecret,
    DIALOG360_API_URL: simulator.urlOf('/360dialog/api/v2'),
    DIALOG360_API_KEY: dialog360.world.apiKey,
    DIALOG360_PARTNER_ID: dialog360.world.partnerId,
    META_GRAPH_URL: simulator.urlOf('/meta'),
    META_ACCESS_TOKEN: meta.world.accessToken,
    META_BUSINESS_ID: meta.world.businessId,
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
    out(`\nTry: DATABASE_URL=${DATABASE} npm run --silent cli -- events --json`);
    out(`     DATABASE_URL=${DATABASE} npm run --silent cli -- digest --preview ./data/digest-preview`);
    const failed = [...baseline, ...second].filter((r) => r.outcome !== 'complete');
    if (failed.length > 0) throw new Error(`demo sync failed: ${failed.map((r) => r.error).join('; ')}`);
  } finally {
    await app.close();
    await simulator.close();
  }
}

await main();
