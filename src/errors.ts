/**
 * One error family with stable codes. Whether a failure is worth retrying is decided by data
 * (`RETRY_POLICY`, one table), not by scattered checks. Messages name the source, the call and the field; they
 * never contain a credential (URLs are stripped of query strings that could carry one).
 */

export type ErrorCode =
  | 'CONFIG'
  | 'USAGE'
  | 'AUTH' // credentials rejected: replacing them is the only fix
  | 'BLOCKED' // the upstream blocked us (e.g. IP blocked after wrong tries)
  | 'PERMISSION'
  | 'THROTTLED'
  | 'UPSTREAM' // upstream answered with an error we don't retry
  | 'UNAVAILABLE' // 5xx, timeouts, connection errors after retries
  | 'PAYLOAD' // a response we could not read or validate
  | 'INCONSISTENT' // a pull that could not be made consistent
  | 'LIMIT' // a listing went past a cap on pages or rows (runaway paging, an implausible total)
  | 'ABORTED' // stopped on purpose (shutdown): says nothing about the source
  | 'INTERRUPTED' // left running by a process that died: counts as a failure (a crash loop must alert)
  | 'LEASE' // another process holds the source's lease, or took over our run
  | 'DATABASE' // the database file can't be used (read-only, corrupt, locked too long)
  | 'INTERNAL'; // anything else thrown (a bug, the database failing): recorded in the ledger as such

export class WabaSyncError extends Error {
  override readonly name: string = 'WabaSyncError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Safe to log: no cause object (which may hold request options with headers). */
  toJSON(): { name: string; code: ErrorCode; message: string } {
    return { name: this.name, code: this.code, message: this.message };
  }
}

export class ConfigError extends WabaSyncError {
  override readonly name: string = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super('CONFIG', `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export class UsageError extends WabaSyncError {
  override readonly name: string = 'UsageError';
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** A failure talking to an upstream, naming the source and the call. */
export class UpstreamError extends WabaSyncError {
  override readonly name: string = 'UpstreamError';
  constructor(
    code: ErrorCode,
    readonly source: string,
    readonly call: string,
    detail: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(code, `${source} ${call}: ${detail}`, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
  readonly retryAfterMs: number | undefined;
}

/** A payload that could not be read, naming the field and the item. */
export class PayloadError extends UpstreamError {
  override readonly name: string = 'PayloadError';
  constructor(source: string, call: string, detail: string, options?: { cause?: unknown }) {
    super('PAYLOAD', source, call, detail, options);
  }
}

/**
 * What another attempt of the same request can do, per code — the one table every retry decision
 * reads (the HTTP edge's retried statuses, the Graph client's loop):
 * - `wait`: the upstream asks us to slow down; retry after the wait it names (or a backoff);
 * - `backoff`: a transient failure; retry after an exponential backoff, a bounded number of times;
 * - `never`: another attempt gives the same answer (or makes it worse: wrong credentials tried
 *   again get an IP blocked).
 */
export type RetryPolicy = 'wait' | 'backoff' | 'never';

export const RETRY_POLICY: Readonly<Record<ErrorCode, RetryPolicy>> = Object.freeze({
  CONFIG: 'never',
  USAGE: 'never',
  AUTH: 'never',
  BLOCKED: 'never',
  PERMISSION: 'never',
  THROTTLED: 'wait',
  UPSTREAM: 'never',
  UNAVAILABLE: 'backoff',
  PAYLOAD: 'never',
  INCONSISTENT: 'never',
  // A runaway listing (cursor cycle, empty pages, past its page or row cap): the same pull repeats it.
  LIMIT: 'never',
  ABORTED: 'never',
  INTERRUPTED: 'never',
  LEASE: 'never',
  DATABASE: 'never',
  INTERNAL: 'never',
});

/** The code an HTTP error status means when the upstream's body says nothing more specific. */
export function codeForHttpStatus(status: number): ErrorCode {
  if (status === 429) return 'THROTTLED';
  if (status === 408 || status >= 500) return 'UNAVAILABLE';
  if (status === 401 || status === 403) return 'AUTH';
  return 'UPSTREAM';
}

/** A message fit for logs and the ledger, whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof WabaSyncError) return error.message;
  if (error instanceof Error) return `${error.name}: ${stripUrlSecrets(error.message)}`;
  return String(error);
}

/** Removes query strings and userinfo from any URL inside a text. */
export function stripUrlSecrets(text: string): string {
  return text.replace(/(https?:\/\/)([^/\s@]+@)?([^\s?#]+)(\?[^\s#]*)?/g, (_m, scheme, _user, rest) => `${scheme}${rest}`);
}

/**
 * An error and each of its causes, for the one log line a fatal error gets: "message ← cause ←
 * cause's cause". Each part as `describeError` writes it (no URL secrets, no cause objects).
 */
export function describeErrorChain(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let current: unknown = error; current !== undefined && current !== null && !seen.has(current) && parts.length < 10; current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    parts.push(describeError(current));
  }
  return parts.join(' ← ');
}

/** Where an error was thrown: the stack's frames only (its first line repeats the message, which may carry upstream text). */
export function stackFrames(error: unknown): string | undefined {
  if (!(error instanceof Error) || !error.stack) return undefined;
  return error.stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}
