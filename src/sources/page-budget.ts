/**
 * How many pages one listing may take in a pull: the backstop against an upstream whose paging
 * never ends (fresh cursors forever, each page plausible). Cursor cycles and runs of empty pages
 * are caught sooner, per chain, by the client; this cap bounds everything else.
 *
 * The cap is what the fleet can need: at least `minPages`, or `factor` times the pages the same
 * listing took in the last complete full pull — scaled to today's page size, so that a smaller
 * page size does not trip it — when that is more. A first pull (no history) gets `minPages`, which
 * must therefore cover the largest fleet expected on day one. A listing that reaches its cap fails
 * the pull (code LIMIT), naming the source, the listing and the cap: nothing is emitted.
 */
import { UpstreamError } from '../errors.js';

export interface PageCapSettings {
  readonly minPages: number;
  readonly factor: number;
  /** The settings' names, for messages (each source passes its own). */
  readonly minSetting: string;
  readonly factorSetting: string;
}

/** What a listing took in a complete pull: its pages, and the page size (`limit`) it asked. */
export interface ListingPages {
  readonly pages: number;
  readonly limit: number;
}

/** Source-state value of a listing's pages, e.g. `{"pages":12,"limit":100}`; null when unreadable. */
export function parseListingPages(value: string | null): ListingPages | null {
  if (value === null) return null;
  try {
    const parsed = JSON.parse(value) as Partial<ListingPages>;
    const whole = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
    return whole(parsed.pages) && whole(parsed.limit) && parsed.limit > 0 ? { pages: parsed.pages, limit: parsed.limit } : null;
  } catch {
    return null;
  }
}

export function formatListingPages(pages: ListingPages): string {
  return JSON.stringify({ pages: pages.pages, limit: pages.limit });
}

export interface PageCap {
  readonly pages: number;
  /** Which setting made it, for the message. */
  readonly reason: string;
}

/** Pure: the cap of a listing read with page size `limit`, given what it took last time. */
export function pageCap(settings: PageCapSettings, previous: ListingPages | null, limit: number): PageCap {
  const floor: PageCap = { pages: settings.minPages, reason: `${settings.minSetting}=${settings.minPages}` };
  if (previous === null || previous.pages === 0) return floor;
  const scaled = Math.ceil((previous.pages * previous.limit) / limit);
  const grown = settings.factor * scaled;
  if (grown <= floor.pages) return floor;
  const pages = previous.limit === limit ? `${previous.pages} pages` : `${scaled} pages of ${limit} (${previous.pages} of ${previous.limit})`;
  return { pages: grown, reason: `${settings.factorSetting}=${settings.factor} × ${pages} in the last complete full pull` };
}

/** The narrow view a paging client needs: one call before each page is requested. */
export interface PageGuard {
  /** Throws (LIMIT) instead of letting page `where` be requested once the listing had its cap. */
  take(where: string): void;
}

/** Counts the pages of one listing across all its chains (a split listing shares one budget). */
export class PageBudget implements PageGuard {
  private used = 0;

  constructor(
    private readonly source: string,
    private readonly cap: PageCap,
    /** Named in the message: which setting to raise if the fleet really is this large. */
    private readonly hint: string,
  ) {}

  /** Pages requested so far. */
  get pages(): number {
    return this.used;
  }

  take(where: string): void {
    if (this.used >= this.cap.pages) {
      throw new UpstreamError(
        'LIMIT',
        this.source,
        where,
        `the listing reached its cap of ${this.cap.pages} pages (${this.cap.reason}) and still has paging.next; stopping instead of paging on (${this.hint})`,
      );
    }
    this.used += 1;
  }
}
