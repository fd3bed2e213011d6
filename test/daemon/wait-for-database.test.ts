/**
 * What the daemon waits for at start and for how long: a PostgreSQL server that does not answer
 * (yet) is retried after 1 s, 2 s, 4 s … at most 30 s apart; what waiting can't heal (a wrong
 * password, a missing database, a SQLite path) is not waited for. The waiting itself, against a
 * real server that comes up late, is in database-outage.postgres.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { postgresError } from '../../db/postgres.js';
import { MAX_RETRY_MS, retryDelayMs, worthWaitingFor } from '../../src/daemon/wait-for-database.js';

const POSTGRES = { databasePath: 'postgres://waba:pw-secret@db.internal:5432/waba' };
const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('waiting for the database at start', () => {
  it('retries after 1 s, doubling, never more than 30 s apart', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50, 5000].map(retryDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    expect(MAX_RETRY_MS).toBe(30_000);
  });

  it('waits for a server that refuses, times out, is starting or shutting down, or cut the connection', () => {
    for (const code of ['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN', '57P01', '57P03', '53300']) {
      expect(worthWaitingFor(POSTGRES, postgresError(POSTGRES.databasePath, 'cannot connect', withCode(code))), code).toBe(true);
    }
    expect(worthWaitingFor(POSTGRES, new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(worthWaitingFor(POSTGRES, new Error('timeout expired'))).toBe(true);
  });

  it('does not wait for what waiting cannot heal: a wrong password or user, a missing database, missing rights', () => {
    for (const code of ['28P01', '28000', '3D000', '42501']) {
      expect(worthWaitingFor(POSTGRES, postgresError(POSTGRES.databasePath, 'cannot connect', withCode(code, 'no'))), code).toBe(false);
    }
  });

  it('never waits for a SQLite file', () => {
    expect(worthWaitingFor({ databasePath: '/proc/nope/x.sqlite' }, withCode('ENOENT'))).toBe(false);
    expect(worthWaitingFor({ databasePath: './data/waba-sync.sqlite' }, withCode('ECONNREFUSED'))).toBe(false);
  });
});
