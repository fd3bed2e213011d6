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
import type { PreparedEntity, PullContext } from '../../sync/types.js';
import { preparedEntities } from '../prepared.js';
import { PHONE_NUMBER } from './kinds.js';
import { PHONE_NUMBER_FIELDS } from './schemas.js';
import type { ListedWaba, Walker } from './walk.js';

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
  async read(listed: readonly ListedWaba[]): Promise<PreparedEntity[]> {
    const records: PreparedEntity[] = [];
    for (const { id, phoneNumbers } of listed) {
      if (phoneNumbers === undefined) continue;
      this.take(phoneNumbers.entities, id, records);
      const next = phoneNumbers.next;
      if (!next) continue;
      const rest = this.walker.client.continuePages(
        { call: 'phone_numbers', items: { kind: 'phones', wabaId: id }, label: `(WABA ${id})`, guard: this.walker.pageGuards?.phone_numbers, readAhead: true },
        next,
        2,
        { fields: PHONE_NUMBER_FIELDS.join(','), limit: String(this.limit) },
        this.walker.hooks,
      );
      for await (const page of rest) this.take(preparedEntities(page.content.phones!), id, records);
    }
    return records;
  }

  /** The numbers (validated and prepared under `wabaId` where their page was read) not met before. */
  private take(entities: readonly PreparedEntity[], wabaId: string, into: PreparedEntity[]): void {
    for (const entity of entities) {
      const other = this.seen.get(entity.key);
      if (other !== undefined) {
        // Listed twice: keep the first sighting. Under another WABA it moved while we read: note it.
        if (other !== wabaId) {
          this.ctx.recordCheck({ kind: PHONE_NUMBER, key: entity.key, check: 'listed_twice', detail: `listed under WABA ${other} and WABA ${wabaId}` });
        }
        continue;
      }
      this.seen.set(entity.key, wabaId);
      into.push(entity);
    }
  }
}
