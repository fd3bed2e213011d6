/**
 * Phone numbers of client WABAs, read with the WABA list itself: the list edge asks for
 * `phone_numbers.limit(N){…}` (field expansion), so each listed WABA carries the first page of its
 * numbers and a WABA with at most N numbers costs no call of its own. When a nested page has
 * `paging.next` (more than N numbers, or an empty page that still has `next`), that cursor is
 * followed — `/{waba}/phone_numbers` for just that WABA — until `next` is absent, inline in the
 * chain that listed the WABA, so the concurrency bound stays the chains'. Each WABA's follow-up
 * pages are a cursor chain of their own (a cycle or a run of empty pages fails the pull, see
 * MetaClient.walk); together they are one listing, `phone_numbers`, with one page budget.
 *
 * A WABA without a `phone_numbers` key has no numbers: Graph leaves an expanded edge with nothing on
 * it out of the answer (the simulator does the same; `{data: []}` is read alike). A key that is
 * there but not a `{data: [...], paging?}` envelope fails the pull (see `wabaWithPhoneNumbers`).
 */
import { PayloadError } from '../../errors.js';
import type { PullContext, EntityRecord } from '../../sync/types.js';
import { parseItem } from '../validation.js';
import { SOURCE } from './client.js';
import { PHONE_NUMBER } from './kinds.js';
import { PHONE_NUMBER_FIELDS, type PhoneNumberPayload, fastPhoneNumber, phoneNumber } from './schemas.js';
import type { ListedWaba, Walker } from './walk.js';

export function phoneRecord(item: PhoneNumberPayload, wabaId: string): EntityRecord {
  return { key: item.id, data: { ...item, waba_id: wabaId } };
}

/** One per pull: remembers which WABA each number was seen under, so a key is staged once. */
export class PhoneNumberReader {
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly walker: Walker,
    private readonly ctx: Pick<PullContext, 'recordCheck'>,
    /** N of `phone_numbers.limit(N)`; also the `limit` of follow-up pages. */
    private readonly limit: number,
  ) {}

  /** Numbers read so far. */
  get count(): number {
    return this.seen.size;
  }

  /** The numbers of these listed WABAs: each nested first page, then every page after it. */
  async read(listed: readonly ListedWaba[]): Promise<EntityRecord[]> {
    const records: EntityRecord[] = [];
    for (const { waba, phoneNumbers, where } of listed) {
      if (phoneNumbers === undefined) continue;
      this.take(phoneNumbers.data, waba.id, where, `WABA ${waba.id} phone_numbers.data`, records);
      const next = phoneNumbers.paging?.next;
      if (!next) continue;
      const rest = this.walker.client.continuePages(
        { call: 'phone_numbers', label: `(WABA ${waba.id})`, guard: this.walker.pageGuards?.phone_numbers, readAhead: true },
        next,
        2,
        { fields: PHONE_NUMBER_FIELDS.join(','), limit: String(this.limit) },
        this.walker.hooks,
      );
      for await (const page of rest) this.take(page.items, waba.id, page.where, 'data', records);
    }
    return records;
  }

  private take(items: readonly unknown[], wabaId: string, where: string, list: string, into: EntityRecord[]): void {
    items.forEach((value, index) => {
      const parsed = parseItem(phoneNumber, value, { list, index, keyField: 'id' }, fastPhoneNumber);
      if (!parsed.ok) throw new PayloadError(SOURCE, where, parsed.message);
      const other = this.seen.get(parsed.value.id);
      if (other !== undefined) {
        // Listed twice: keep the first sighting. Under another WABA it moved while we read: note it.
        if (other !== wabaId) {
          this.ctx.recordCheck({ kind: PHONE_NUMBER, key: parsed.value.id, check: 'listed_twice', detail: `listed under WABA ${other} and WABA ${wabaId}` });
        }
        return;
      }
      this.seen.set(parsed.value.id, wabaId);
      into.push(phoneRecord(parsed.value, wabaId));
    });
  }
}
