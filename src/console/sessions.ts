/**
 * Console sessions and login throttling, in this process's memory: a restart signs everyone out,
 * and several daemons behind one load balancer need sticky sessions (docs/console.md). Nothing
 * here is ever written to the database, so a database copy holds no session.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';

export interface Session {
  readonly id: string;
  readonly user: string;
  /** Sent back in every form; a POST without it is refused. */
  readonly csrf: string;
  lastSeen: number;
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison of two tokens (different lengths are simply unequal). */
export function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  constructor(
    private readonly clock: Clock,
    /** CONSOLE_IDLE_MINUTES, in ms: a session unused this long is gone. */
    private readonly idleMs: number,
  ) {}

  create(user: string): Session {
    this.#sweep();
    const session: Session = { id: randomToken(), user, csrf: randomToken(), lastSeen: this.clock().getTime() };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session of this id, its idle clock restarted; undefined when unknown or idle too long. */
  touch(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    const now = this.clock().getTime();
    if (now - session.lastSeen > this.idleMs) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeen = now;
    return session;
  }

  end(id: string | undefined): void {
    if (id) this.#sessions.delete(id);
  }

  #sweep(): void {
    const now = this.clock().getTime();
    for (const [id, session] of this.#sessions) if (now - session.lastSeen > this.idleMs) this.#sessions.delete(id);
  }
}

/**
 * Failed logins per client address: after MAX_FAILURES within WINDOW_MS, every login from that
 * address is refused (429) until the oldest failure leaves the window, right password or not.
 * An attempt counts as failed from the moment it starts (`attempt`), before its password is
 * checked — guesses sent all at once count at once — and a sign-in that succeeds takes back only
 * its own attempt: the address's other failures stay, so signing in as oneself between guesses at
 * another user's password does not reset the count.
 */
export class LoginThrottle {
  static readonly MAX_FAILURES = 5;
  static readonly WINDOW_MS = 15 * 60_000;
  readonly #failures = new Map<string, number[]>();
  constructor(private readonly clock: Clock) {}

  /** Seconds until this address may try again, 0 when it may now. */
  retryAfterSeconds(address: string): number {
    const recent = this.#recent(address);
    if (recent.length < LoginThrottle.MAX_FAILURES) return 0;
    return Math.ceil((recent[0]! + LoginThrottle.WINDOW_MS - this.clock().getTime()) / 1000);
  }

  /** Counts an attempt from this address as failed now; the function returned takes it back (its password was right). */
  attempt(address: string): () => void {
    const at = this.clock().getTime();
    const recent = this.#recent(address);
    recent.push(at);
    this.#failures.set(address, recent);
    if (this.#failures.size > 10_000) this.#failures.delete(this.#failures.keys().next().value!);
    return () => {
      const now = this.#failures.get(address);
      const index = now?.indexOf(at) ?? -1;
      if (index >= 0) now!.splice(index, 1);
      if (now?.length === 0) this.#failures.delete(address);
    };
  }

  #recent(address: string): number[] {
    const since = this.clock().getTime() - LoginThrottle.WINDOW_MS;
    return (this.#failures.get(address) ?? []).filter((at) => at > since);
  }
}
