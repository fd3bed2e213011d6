/**
 * Digest and alert decisions taken at the same moment by several processes on one database (each
 * its own connection pool, as two daemons have): one digest of the events,
 * one alert of the episode, and no process fails for having lost the race. PostgreSQL only: SQLite
 * connections in one process would block each other's event loop (busy_timeout is synchronous);
 * across processes SQLite's single write lock serializes the same transactions.
 */
import { describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../db/database.js';
import { parseConfig } from '../../src/config.js';
import { SOURCE_NAMES } from '../../src/config.js';
import { evaluateAlerts } from '../../src/notify/alerts.js';
import { digestSettings, queueDigest } from '../../src/notify/digest/digest.js';
import { SecretScrubber } from '../../src/secrets.js';
import { digital99Harness } from '../helpers/digital99.js';

const PROCESSES = 4;

async function processes(dbPath: string): Promise<Db[]> {
  return Promise.all(Array.from({ length: PROCESSES }, () => openDatabase(dbPath, { migrate: false })));
}

describe('decisions several processes take at once', () => {
  it('one digest covers each event once', async () => {
    const h = await digital99Harness();
    h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    expect((await h.sync()).outcome).toBe('complete');
    const settings = digestSettings(parseConfig({ ...h.env, SMTP_URL: 'smtp://127.0.0.1:25', MAIL_FROM: 'w@example.com', DIGEST_TO: 'ops@example.com' }));
    const dbs = await processes(h.dbPath);
    try {
      const outcomes = await Promise.all(dbs.map((db) => queueDigest(db, h.clock(), settings, { commit: true })));
      expect(outcomes.filter((outcome) => outcome.kind === 'digest')).toHaveLength(1);
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
    }
    const events = await h.app.db.selectFrom('event').select('id').execute();
    const covered = await h.app.db.selectFrom('digest_event').select('event_id').execute();
    expect(covered.map((row) => row.event_id).sort()).toEqual(events.map((row) => row.id).sort());
    expect(await h.app.db.selectFrom('outbox').select('id').execute()).toHaveLength(1);
  });

  it('one alert opens the episode', async () => {
    const h = await digital99Harness();
    expect((await h.sync()).outcome).toBe('complete');
    h.world.inject({ call: 'getAccounts', kind: 'http', status: 503, times: 1000 });
    for (let i = 0; i < 3; i++) expect((await h.sync()).outcome).toBe('failed');
    const policy = { afterFailures: 3, to: ['oncall@example.com'], sources: SOURCE_NAMES, scrubber: new SecretScrubber() };
    const dbs = await processes(h.dbPath);
    try {
      const decisions = (await Promise.all(dbs.map((db) => evaluateAlerts(db, h.clock(), policy)))).flat();
      expect(decisions.filter((decision) => decision.queued).map((decision) => decision.kind)).toEqual(['failing']);
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
    }
    expect(await h.app.db.selectFrom('alert_episode').select('source').execute()).toEqual([{ source: 'digital99' }]);
    expect(await h.app.db.selectFrom('outbox').select('id').execute()).toHaveLength(1);
  });
});
