/**
 * PostgreSQL: the one transaction a baseline (a source's first complete pull) writes its rows in,
 * as first versions, from its first page to its commit (stage.ts says why).
 *
 * While the pull waits on its upstream the transaction sits idle, and how long it may is bounded
 * (`idle_in_transaction_session_timeout`, set for this transaction alone over whatever the server
 * is configured with): that bounds what a daemon that died or froze mid-baseline holds. Its
 * uncommitted rows would otherwise keep the daemon that takes over waiting on the
 * current-version index until the dead connection is noticed (hours, with TCP's default
 * keepalive). A live pull whose upstream sends nothing for that long fails, saying so, and the
 * next pull starts over.
 */
import { type ControlledTransaction, type Transaction, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { WabaSyncError } from '../errors.js';
import type { Logger } from '../log.js';

/** How long a baseline's transaction may sit idle, by default. */
export const BASELINE_IDLE_LIMIT_MS = 10 * 60_000;

export class BaselineTransaction {
  private lastActive = performance.now();
  private constructor(
    private readonly trx: ControlledTransaction<Database>,
    private readonly source: string,
    private readonly idleLimitMs: number,
  ) {}

  static async open(db: Db, source: string, idleLimitMs: number): Promise<BaselineTransaction> {
    const trx = await db.startTransaction().execute();
    try {
      await sql`set local idle_in_transaction_session_timeout = ${sql.lit(Math.max(1, Math.round(idleLimitMs)))}`.execute(trx);
    } catch (error) {
      await trx.rollback().execute().catch(() => undefined);
      throw error;
    }
    return new BaselineTransaction(trx, source, idleLimitMs);
  }

  /** Runs `work` in the transaction; a failure after an idle spell past the limit says that the server ended it. */
  async run<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    const idleMs = performance.now() - this.lastActive;
    try {
      return await work(this.trx);
    } catch (error) {
      if (idleMs < this.idleLimitMs) throw error;
      throw new WabaSyncError(
        'DATABASE',
        `${this.source}: the baseline's database transaction sat idle ${seconds(idleMs)} waiting on the upstream, past its limit of ${seconds(this.idleLimitMs)}, and PostgreSQL ended it; nothing was applied, the next pull starts the baseline over`,
        { cause: error },
      );
    } finally {
      this.lastActive = performance.now();
    }
  }

  async commit(): Promise<void> {
    await this.run(() => this.trx.commit().execute());
  }

  /** Ends a failed baseline's transaction; its connection may be what failed, which changes nothing: the rows were never committed. */
  async rollBack(log: Logger): Promise<void> {
    if (this.trx.isCommitted || this.trx.isRolledBack) return;
    try {
      await this.trx.rollback().execute();
    } catch (error) {
      log.debug({ source: this.source, error: String(error) }, 'rolling back a failed baseline: its connection had already ended it');
    }
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
