/**
 * Meta's usage headers and the pacing they drive. Reading the headers is pure; the Pacer keeps one
 * shared schedule for every request of a pull, so concurrent cursor chains slow down together.
 *
 * - `X-App-Usage: {"call_count":%, "total_cputime":%, "total_time":%}`
 * - `X-Business-Use-Case-Usage: {"<object-id>": [{"type", "call_count":%, "total_cputime":%,
 *   "total_time":%, "estimated_time_to_regain_access": minutes}]}`
 */

export interface Usage {
  /** Highest percentage of any quota in the headers (0 when none). */
  readonly percent: number;
  /** Longest `estimated_time_to_regain_access`, in milliseconds (0 when none). */
  readonly regainMs: number;
  /**
   * The percentages by name, for metrics: `app_<field>` from X-App-Usage and `buc_<field>` from
   * X-Business-Use-Case-Usage (the highest over its objects and use-case types). Only those present.
   */
  readonly metrics: Readonly<Record<string, number>>;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const PERCENT_FIELDS = ['call_count', 'total_cputime', 'total_time', 'acc_id_util_pct'] as const;

export function readUsage(headers: Headers): Usage {
  let percent = 0;
  let regainMinutes = 0;
  const metrics: Record<string, number> = {};
  const take = (entry: unknown, prefix: string) => {
    if (!entry || typeof entry !== 'object') return;
    const record = entry as Record<string, unknown>;
    for (const field of PERCENT_FIELDS) {
      // Number(null) and Number('') are 0: only real numbers (or numeric strings) count.
      const raw = record[field];
      const value = typeof raw === 'number' || (typeof raw === 'string' && raw.trim() !== '') ? Number(raw) : Number.NaN;
      if (!Number.isFinite(value)) continue;
      percent = Math.max(percent, value);
      const metric = `${prefix}_${field}`;
      metrics[metric] = Math.max(metrics[metric] ?? value, value);
    }
    const regain = Number(record.estimated_time_to_regain_access);
    if (Number.isFinite(regain)) regainMinutes = Math.max(regainMinutes, regain);
  };
  take(parseHeader(headers['x-app-usage']), 'app');
  const business = parseHeader(headers['x-business-use-case-usage']);
  if (business && typeof business === 'object') {
    for (const entries of Object.values(business as Record<string, unknown>)) {
      if (Array.isArray(entries)) for (const entry of entries) take(entry, 'buc');
    }
  }
  return { percent, regainMs: Math.max(0, regainMinutes) * 60_000, metrics };
}

/** Headers that are not JSON are ignored: pacing is a courtesy, never a reason to fail. */
function parseHeader(value: string | string[] | undefined): unknown {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** Spacing between request starts at 100% usage; it grows linearly from the threshold. */
export const SLOWDOWN_MAX_INTERVAL_MS = 5_000;

/** Pure: the gap to keep between request starts for a usage level. */
export function slowdownInterval(percent: number, thresholdPercent: number): number {
  if (percent < thresholdPercent) return 0;
  const span = Math.max(1, 100 - thresholdPercent);
  const share = Math.min(1, (percent - thresholdPercent + 1) / (span + 1));
  return Math.round(SLOWDOWN_MAX_INTERVAL_MS * share);
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * One schedule of request starts shared by all workers of a pull: `ready()` reserves the next
 * slot and waits for it; `observe()` widens the gap as usage climbs; `pause()` holds everyone back
 * after a throttle.
 */
export class Pacer {
  private nextStart = 0;
  private interval = 0;

  constructor(
    private readonly options: { thresholdPercent: number; sleep: Sleep; now?: () => number },
  ) {}

  private now(): number {
    return this.options.now?.() ?? performance.now();
  }

  async ready(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const start = Math.max(now, this.nextStart);
    this.nextStart = start + this.interval;
    if (start > now) await this.options.sleep(start - now, signal);
  }

  observe(usage: Usage): void {
    this.interval = slowdownInterval(usage.percent, this.options.thresholdPercent);
  }

  /** No request starts before `ms` from now. */
  pause(ms: number): void {
    this.nextStart = Math.max(this.nextStart, this.now() + ms);
  }
}
