/** One definition of "failures since the last complete pull", read the same by status, the digest's health and the alerts. */
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../db/database.js';
import type { ErrorCode } from '../../src/errors.js';
import { evaluateAlerts } from '../../src/notify/alerts.js';
import { sourceStatus } from '../../src/status.js';
import { markRunComplete, markRunFailed, markRunInterrupted, startRun } from '../../src/sync/ledger.js';
import { tempDbPath } from '../helpers/temp.js';

let db: Db | null = null;
afterEach(async () => {
  await db?.destroy();
  db = null;
});

async function run(db: Db, at: string, outcome: 'complete' | ErrorCode): Promise<void> {
  const id = await startRun(db, { source: 'digital99', mode: 'full', startedAt: at });
  if (outcome === 'complete') {
    await db.transaction().execute((trx) => markRunComplete(trx, id, { finishedAt: at, entities: 0, events: 0, apiCalls: 0, counts: {} }));
  } else {
    await markRunFailed(db, id, { finishedAt: at, entities: 0, apiCalls: 0, error: `failed with ${outcome}`, errorCode: outcome });
  }
}

describe('the ledger', () => {
  it('declaring a run interrupted leaves one its holder completed meanwhile alone (a lost lease racing its commit)', async () => {
    db = await openDatabase(tempDbPath());
    await run(db, '2026-11-01T00:00:00.000Z', 'complete');
    const [completed] = await db.selectFrom('sync_run').select('id').execute();
    await db.transaction().execute((trx) => markRunInterrupted(trx, completed!.id, '2026-11-01T00:05:00.000Z'));
    expect(await db.selectFrom('sync_run').select(['outcome', 'error_code']).execute()).toEqual([{ outcome: 'complete', error_code: null }]);
  });

  it('declaring a run failed leaves one recorded complete alone (a commit that landed though its reply was lost)', async () => {
    db = await openDatabase(tempDbPath());
    await run(db, '2026-11-01T00:00:00.000Z', 'complete');
    const [completed] = await db.selectFrom('sync_run').select('id').execute();
    await markRunFailed(db, completed!.id, { finishedAt: '2026-11-01T00:05:00.000Z', entities: 0, apiCalls: 0, error: 'connection lost', errorCode: 'DATABASE' });
    expect(await db.selectFrom('sync_run').select(['outcome', 'error_code']).execute()).toEqual([{ outcome: 'complete', error_code: null }]);
    expect((await sourceStatus(db, 'digital99', null)).lastComplete).not.toBeNull();
  });

  it('counts failures after the last complete pull, and a shutdown (ABORTED) is not a failure of the source', async () => {
    db = await openDatabase(tempDbPath());
    await run(db, '2026-11-01T00:00:00.000Z', 'UNAVAILABLE');
    await run(db, '2026-11-01T01:00:00.000Z', 'complete');
    await run(db, '2026-11-01T02:00:00.000Z', 'UNAVAILABLE');
    await run(db, '2026-11-01T03:00:00.000Z', 'ABORTED');
    await run(db, '2026-11-01T04:00:00.000Z', 'PAYLOAD');

    const status = await sourceStatus(db, 'digital99', null);
    expect(status.failuresSinceComplete).toBe(2);
    expect(status.lastRun?.error_code).toBe('PAYLOAD');
    expect(status.lastComplete?.started_at).toBe('2026-11-01T01:00:00.000Z');

    // The alerts count the same two: with a threshold of 2 they open an episode, with 3 they don't.
    const at = new Date('2026-11-01T05:00:00.000Z');
    expect(await evaluateAlerts(db, at, { afterFailures: 3, to: ['ops@example.com'], sources: ['digital99'] })).toEqual([]);
    const decisions = await evaluateAlerts(db, at, { afterFailures: 2, to: ['ops@example.com'], sources: ['digital99'] });
    expect(decisions.map((d) => [d.kind, d.email.subject])).toEqual([['failing', '[waba-sync] digital99 full pulls failed 2 times in a row']]);
  });
});
