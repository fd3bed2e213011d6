/**
 * PostgreSQL: the one transaction a baseline (a source's first complete pull) writes its rows in,
 * as first versions, from its first page to its commit (stage.ts says why).
 *
 * A daemon that dies or freezes mid-baseline must not hold it for long: its uncommitted rows
 * would keep the daemon that takes over its lease waiting on the current-version index until the
 * dead connection is noticed (hours, with TCP's default keepalive). So the transaction may sit idle
 * only so long (`idle_in_transaction_session_timeout`, set for it alone over whatever the server
 * is configured with), and while the pull is alive a keep-alive touches it at a third of that
 * limit — a pull waiting minutes on a throttled upstream keeps its transaction, a process that
 * stopped running loses it. A pull that finds it ended fails, saying so, and the next one starts
 * the baseline over.
 */
import { type ControlledTransaction, type Transaction, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { WabaSyncError } from '../errors.js';
import type { Logger } from '../log.js';

/** How long a baseline's transaction may sit idle with nobody touching it, by default. */
export const BASELINE_IDLE_LIMIT_MS = 10 * 60_000;

/** SQLSTATE of a session PostgreSQL ended for sitting idle in a transaction. */
const IDLE_TIMEOUT_CODE = '25P03';

export class BaselineTransaction {
  private lastActive = performance.now();
  /** Statements (ours or the keep-alive's) under way. */
  private busy = 0;
  /** Why the transaction can't be used any more, once known. */
  private ended: Error | null = null;
  private readonly keepAlive: NodeJS.Timeout;

  private constructor(
    private readonly trx: ControlledTransaction<Database>,
    private readonly source: string,
    private readonly idleLimitMs: number,
  ) {
    this.keepAlive = setInterval(() => void this.touch(), Math.max(1, idleLimitMs / 3));
    this.keepAlive.unref();
  }

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

  /** Runs `work` in the transaction, or throws why it has ended. */
  async run<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    if (this.ended) throw this.ended;
    const idleMs = performance.now() - this.lastActive;
    this.busy += 1;
    try {
      return await work(this.trx);
    } catch (error) {
      throw this.explain(error, idleMs);
    } finally {
      this.busy -= 1;
      this.lastActive = performance.now();
    }
  }

  async commit(): Promise<void> {
    await this.run(() => this.trx.commit().execute());
    clearInterval(this.keepAlive);
  }

  /** Ends a failed baseline's transaction; its connection may be what failed, which changes nothing: the rows were never committed. */
  async rollBack(log: Logger): Promise<void> {
    clearInterval(this.keepAlive);
    if (this.trx.isCommitted || this.trx.isRolledBack) return;
    try {
      await this.trx.rollback().execute();
    } catch (error) {
      log.debug({ source: this.source, error: String(error) }, 'rolling back a failed baseline: its connection had already ended it');
    }
  }

  /** The keep-alive: a statement when nothing else ran for a third of the limit. */
  private async touch(): Promise<void> {
    if (this.ended || this.busy > 0 || performance.now() - this.lastActive < this.idleLimitMs / 3) return;
    try {
      await this.run((trx) => sql`select 1`.execute(trx));
    } catch (error) {
      this.ended ??= error instanceof Error ? error : new Error(String(error));
    }
  }

  /**
   * A failure after an idle spell past the limit, of the kind a session the server ended gives
   * (its own SQLSTATE, or a connection error with none), is said to be that; anything else as it is.
   */
  private explain(error: unknown, idleMs: number): unknown {
    const code = (error as { code?: unknown } | null)?.code;
    const endedByServer = code === IDLE_TIMEOUT_CODE || (idleMs >= this.idleLimitMs && code === undefined);
    if (!endedByServer) return error;
    return new WabaSyncError(
      'DATABASE',
      `${this.source}: the baseline's database transaction sat idle ${seconds(idleMs)}, past its limit of ${seconds(this.idleLimitMs)} (the process did not run meanwhile), and PostgreSQL ended it; nothing was applied, the next pull starts the baseline over`,
      { cause: error },
    );
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
