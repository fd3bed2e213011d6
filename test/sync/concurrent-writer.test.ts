import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { silentLogger } from '../../src/log.js';
import { runSourcePull } from '../../src/sync/run-source.js';
import type { Source } from '../../src/sync/types.js';
import { manualClock } from '../helpers/clock.js';
import { tempDbPath } from '../helpers/temp.js';

/**
 * Another process (a CLI digest, an outbox drain, a one-shot pull of another source) holds the
 * write lock when a pull commits, then commits itself. The pull must wait and complete, not fail
 * with SQLITE_BUSY_SNAPSHOT.
 */
const OTHER_WRITER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('busy_timeout = 10000');
db.exec('BEGIN IMMEDIATE');
db.prepare("insert into app_setting (name, value) values ('other-writer', 'x')").run();
process.stdout.write('locked\\n');
setTimeout(() => { db.exec('COMMIT'); db.close(); }, 400);
`;

describe('a pull committing while another process writes', () => {
  it('waits for the write lock and completes', async () => {
    const path = tempDbPath();
    const db = await openDatabase(path);
    const clock = manualClock();
    const source: Source = {
      name: 'digital99',
      supportsIncremental: false,
      kinds: [{ kind: 'item', events: { added: 'item.added', removed: 'item.removed', changed: 'item.changed' } }],
      async pull(ctx) {
        await ctx.stage('item', [{ key: 'a', data: { n: 1 } }]);
        // The other process takes the write lock just before this pull commits.
        const child = spawn(process.execPath, ['-e', OTHER_WRITER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
        await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
        return { coverage: { item: 'complete' } };
      },
    };
    try {
      const result = await runSourcePull({ db, clock, log: silentLogger }, source, 'full');
      expect(result.error).toBeUndefined();
      expect(result.outcome).toBe('complete');
      const other = await db.selectFrom('app_setting').select('value').where('name', '=', 'other-writer').executeTakeFirst();
      expect(other?.value).toBe('x');
    } finally {
      await db.destroy();
    }
  });
});
