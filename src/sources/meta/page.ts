/**
 * Pure: one Graph list page, from the response text to prepared rows (src/sources/prepared.ts) —
 * the `{data, paging}` envelope checked, every item validated (fast-parse.ts first, zod deciding
 * and wording every refusal), mapped to its record, written as canonical JSON and hashed. It runs
 * where the page thread runs it (src/sources/page-thread.ts): everything it needs comes in its
 * parameters, everything it finds goes out in its result or in a PayloadError naming the page
 * and the field.
 *
 * A WABA page with phone numbers expanded brings each WABA's first page of numbers: they are
 * prepared with it, under the WABA they were listed with (which number to keep when one is
 * listed twice is the pull's to decide: phone-numbers.ts).
 */
import { PayloadError } from '../../errors.js';
import { FAIL, optional } from '../fast-parse.js';
import { type PreparedRows, PreparedRowsBuilder } from '../prepared.js';
import { formatIssue, parseItem, parseJsonBody } from '../validation.js';
import { phoneRecord, wabaRecord } from './records.js';
import { type NestedPage, type WabaPayload, fastListPage, fastPhoneNumber, fastWaba, listPage, phoneNumber, waba, wabaWithPhoneNumbers } from './schemas.js';

export const SOURCE = 'meta';

/** What a page's items are: WABAs (with their numbers expanded or not), or the numbers of one WABA. */
export type MetaItems = { readonly kind: 'wabas'; readonly expanded: boolean } | { readonly kind: 'phones'; readonly wabaId: string };

export interface MetaPageParams {
  /** Names the page in errors: call, label, page number. */
  readonly where: string;
  readonly status: number;
  readonly items: MetaItems;
}

/** A page's WABAs, prepared, with what the walk and the pull need of each. */
export interface PreparedWabas {
  readonly rows: PreparedRows;
  readonly creationTime: readonly (number | null)[];
  /** `ownership_type` is SELF (an owned WABA read by id). */
  readonly owned: readonly boolean[];
  /** The numbers listed with the WABAs, in WABA order. */
  readonly phones: PreparedRows;
  /** Where each WABA's numbers end in `phones`. */
  readonly phoneEnds: Uint32Array;
  /** Whether each WABA came with a `phone_numbers` page (Graph leaves an empty one out). */
  readonly phonesListed: readonly boolean[];
  /** Each WABA's `phone_numbers.paging.next`: more numbers to follow. */
  readonly phonesNext: readonly (string | null)[];
}

export interface MetaPage {
  /** `paging.next`: more pages follow (an empty page can still have more). */
  readonly next: string | null;
  /** Items on the page. */
  readonly count: number;
  readonly wabas: PreparedWabas | null;
  readonly phones: PreparedRows | null;
}

/** What a page says of the chain, known once its envelope is read: where it goes next, and how many items it holds. */
export interface MetaPageHead {
  readonly next: string | null;
  readonly count: number;
}

/** `early` hears the page's head before its items are read: the next page can be asked for meanwhile. */
export function readMetaPage(text: string, params: MetaPageParams, early?: (head: MetaPageHead) => void): MetaPage {
  const { where, items } = params;
  const envelope = readListPage(parseJsonBody(text, SOURCE, where, params.status), where);
  const next = envelope.paging?.next ?? null;
  early?.({ next, count: envelope.data.length });
  if (items.kind === 'phones') {
    const phones = new PreparedRowsBuilder();
    for (const [index, value] of envelope.data.entries()) addPhone(phones, value, items.wabaId, where, 'data', index);
    return { next, count: envelope.data.length, wabas: null, phones: phones.build() };
  }
  return { next, count: envelope.data.length, wabas: prepareWabas(envelope.data, where, items.expanded), phones: null };
}

/** A list page's envelope (`{data, paging}`), the fast way first. */
function readListPage(body: unknown, where: string): NestedPage {
  const quick = fastListPage(body);
  if (quick !== FAIL) return quick;
  const parsed = listPage.safeParse(body);
  if (!parsed.success) throw new PayloadError(SOURCE, where, formatIssue(parsed.error.issues[0]));
  return parsed.data;
}

/**
 * WABAs as listed (a page's `data`, or one WABA read by id), prepared with their first page of
 * numbers. `ownedNumbers: false` leaves an owned WABA's numbers unread (a WABA read by id: only a
 * client WABA's numbers are ours to store, and an owned one's may not fail the pull).
 */
export function prepareWabas(items: readonly unknown[], where: string, expanded: boolean, options: { readonly ownedNumbers?: boolean } = {}): PreparedWabas {
  const rows = new PreparedRowsBuilder();
  const phones = new PreparedRowsBuilder();
  const creationTime: (number | null)[] = [];
  const owned: boolean[] = [];
  const phoneEnds: number[] = [];
  const phonesListed: boolean[] = [];
  const phonesNext: (string | null)[] = [];
  for (const read of readWabas(items, where, expanded)) {
    const item = read.waba;
    // Read by id, a WABA is ours unless it is a client's: SELF and ON_BEHALF_OF ones are both in
    // the owned listing (a full pull goes by the listing it came from).
    const isOwned = typeof item.ownership_type === 'string' && item.ownership_type !== '' && item.ownership_type !== 'CLIENT_OWNED';
    const phoneNumbers = options.ownedNumbers === false && isOwned ? undefined : read.phoneNumbers;
    const record = wabaRecord(item);
    rows.add(record.key, record.data);
    creationTime.push(item.creation_time);
    owned.push(isOwned);
    phonesListed.push(phoneNumbers !== undefined);
    phonesNext.push(phoneNumbers?.paging?.next ?? null);
    if (phoneNumbers) {
      for (const [index, value] of phoneNumbers.data.entries()) addPhone(phones, value, item.id, where, `WABA ${item.id} phone_numbers.data`, index);
    }
    phoneEnds.push(phones.size);
  }
  return { rows: rows.build(), creationTime, owned, phones: phones.build(), phoneEnds: Uint32Array.from(phoneEnds), phonesListed, phonesNext };
}

function addPhone(into: PreparedRowsBuilder, value: unknown, wabaId: string, where: string, list: string, index: number): void {
  const parsed = parseItem(phoneNumber, value, { list, index, keyField: 'id' }, fastPhoneNumber);
  if (!parsed.ok) throw new PayloadError(SOURCE, where, parsed.message);
  const record = phoneRecord(parsed.value, wabaId);
  into.add(record.key, record.data);
}

const fastNestedPage = optional(fastListPage);

/** Each item validated as a WABA, with its nested page of numbers when `expanded`. */
export function readWabas(items: readonly unknown[], where: string, expanded: boolean): { waba: WabaPayload; phoneNumbers: NestedPage | undefined }[] {
  return items.map((value, index) => {
    if (!expanded) {
      const parsed = parseItem(waba, value, { list: 'data', index, keyField: 'id' }, fastWaba);
      if (!parsed.ok) throw new PayloadError(SOURCE, where, parsed.message);
      return { waba: parsed.value, phoneNumbers: undefined };
    }
    // The fast paths first, without the copy that splitting zod's answer takes.
    const quick = fastWaba(value);
    const nested = quick === FAIL ? FAIL : fastNestedPage((value as Record<string, unknown>).phone_numbers);
    if (quick !== FAIL && nested !== FAIL) return { waba: quick, phoneNumbers: nested };
    const parsed = parseItem(wabaWithPhoneNumbers, value, { list: 'data', index, keyField: 'id' });
    if (!parsed.ok) throw new PayloadError(SOURCE, where, parsed.message);
    const { phone_numbers: phoneNumbers, ...item } = parsed.value;
    return { waba: item, phoneNumbers };
  });
}
