/**
 * Several daemons on one PostgreSQL database: a delivery that lands on any of them — or on both,
 * as Meta's retries and a second subscribed app do — is processed once.
 */
import { describe, expect, it } from 'vitest';
import { metaSender } from '../../src/simulator/webhooks.js';
import { intakeDaemon } from '../helpers/intake.js';
import { metaHarness } from '../helpers/meta.js';

const APP_SECRET = 'app-secret-for-tests-7f3a9c';
const SECRETS = { META_APP_SECRET: APP_SECRET, META_WEBHOOK_VERIFY_TOKEN: 'verify-token-for-tests-41d2' };

describe('two daemons, one database', () => {
  it('deliveries spread over both daemons, some sent to both, become each event once', async () => {
    const h = await metaHarness();
    const wabas = Array.from({ length: 12 }, () => h.world.shareWaba());
    const a = await intakeDaemon({ ...h.env, ...SECRETS });
    const b = await intakeDaemon({ ...h.env, ...SECRETS });
    const toA = metaSender(`${a.url}/webhooks/meta`, APP_SECRET);
    const toB = metaSender(`${b.url}/webhooks/meta`, APP_SECRET);
    for (const [i, waba] of wabas.entries()) {
      h.world.webhooks = i % 3 === 0 ? toA : toB;
      h.world.setReviewStatus(waba.id, 'APPROVED');
      // Every third change reaches both daemons.
      if (i % 3 === 2) toA.send(JSON.parse(toB.deliveries.at(-1)!.body.replace(/\\\//g, '/')));
    }
    await Promise.all([toA.settled(), toB.settled()]);
    await a.eventually('waba.review_status_changed', wabas.length);
    await Promise.all([a.daemon.intake.processor!.settled(), b.daemon.intake.processor!.settled()]);
    const events = await a.events('waba.review_status_changed');
    expect(events.map((event) => event.key).sort()).toEqual(wabas.map((waba) => waba.id).sort());
    const inbox = await a.app.db.selectFrom('webhook_inbox').select(['processed_at', 'outcome']).execute();
    expect(inbox.every((row) => row.processed_at !== null)).toBe(true);
  });
});
