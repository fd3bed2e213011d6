/**
 * Each fast reader (src/sources/fast-parse.ts) against its zod schema, on arbitrary input: where
 * it answers, it answers what zod would, keys in the same order (the stored text depends on it);
 * where it is unsure, zod decides. And it does answer for what the upstreams really send, or it
 * would buy nothing.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { canonicalJson } from '../../src/diff/canonical.js';
import { MetaWorld, seedMetaFleet } from '../../src/simulator/meta.js';
import { FAIL, type FastReader } from '../../src/sources/fast-parse.js';
import { fastListPage, fastPhoneNumber, fastWaba, listPage, phoneNumber, waba, wabaFieldsParam, wabaWithPhoneNumbers } from '../../src/sources/meta/schemas.js';
import { readWabas } from '../../src/sources/meta/page.js';
import { fastNumber, fastOnboarding, number, onboarding } from '../../src/sources/digital99/schemas.js';

/** Values of the kinds a field may hold, near the edges the readers decide on. */
const scalar = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 10_000_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 6 }),
  fc.stringMatching(/^\s?\d{1,16}\s?$/),
  fc.constantFrom('', ' 12', '12 ', '0', '007', '1e3', '-1', 'APPROVED', '__proto__'),
);
const leaf = fc.oneof({ weight: 4, arbitrary: scalar }, fc.array(scalar, { maxLength: 2 }), fc.dictionary(fc.constantFrom('id', 'name', 'level', 'x'), scalar, { maxKeys: 3 }));

/** An object with some of `keys` (each an arbitrary value) and maybe an unknown one. */
function objectOf(keys: readonly string[], value: fc.Arbitrary<unknown> = leaf): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({ ...Object.fromEntries(keys.map((key) => [key, value])), extra: value }, { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>;
}

const WABA_KEYS = Object.keys(waba.shape);
const PHONE_KEYS = Object.keys(phoneNumber.shape);
const businessInfo = fc.oneof(leaf, objectOf(['id', 'name', 'status', 'type']));
const wabaValue = fc.oneof(
  { weight: 1, arbitrary: leaf },
  {
    weight: 6,
    arbitrary: fc
      .tuple(objectOf(WABA_KEYS), businessInfo, businessInfo)
      .map(([item, onBehalf, owner]) => ({ ...item, ...(onBehalf === undefined ? {} : { on_behalf_of_business_info: onBehalf }), ...(owner === undefined ? {} : { owner_business_info: owner }) })),
  },
);
const phoneValue = fc.oneof(
  { weight: 1, arbitrary: leaf },
  { weight: 6, arbitrary: fc.tuple(objectOf(PHONE_KEYS), fc.oneof(leaf, objectOf(['level']))).map(([item, throughput]) => (throughput === undefined ? item : { ...item, throughput })) },
);
const paging = fc.oneof(leaf, objectOf(['next', 'previous']), fc.record({ cursors: fc.oneof(leaf, objectOf(['before', 'after'])), next: leaf }, { requiredKeys: [] }));
const pageValue = fc.oneof(leaf, fc.record({ data: fc.oneof(leaf, fc.array(scalar, { maxLength: 2 })), paging }, { requiredKeys: [] }));

/** What JSON.parse could hand a reader (no member holding undefined, no -0). */
function asJson<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return arbitrary.map((value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value))));
}

/** The fast answer, when there is one, equals zod's — and so does its canonical text. */
function agrees<T>(schema: z.ZodType<T>, fast: FastReader<T>, value: unknown): boolean {
  const quick = fast(value);
  if (quick === FAIL) return true;
  const parsed = schema.safeParse(value);
  return parsed.success && isDeepStrictEqual(quick, parsed.data) && JSON.stringify(quick) === JSON.stringify(parsed.data);
}

describe('fast readers answer what their schema would', () => {
  const runs = { numRuns: 3000 };

  it('a WABA', () => {
    fc.assert(fc.property(asJson(wabaValue), (value) => agrees(waba, fastWaba, value)), runs);
  });

  it('a phone number', () => {
    fc.assert(fc.property(asJson(phoneValue), (value) => agrees(phoneNumber, fastPhoneNumber, value)), runs);
  });

  it('a list page and its paging envelope', () => {
    fc.assert(fc.property(asJson(pageValue), (value) => agrees(listPage, fastListPage, value)), runs);
  });

  it('a listed WABA with its phone numbers: readWabas takes the same WABA and nested page as zod, and refuses what zod refuses', () => {
    const listed = fc.tuple(wabaValue, fc.oneof(fc.constant(undefined), pageValue)).map(([item, nested]) =>
      nested === undefined || typeof item !== 'object' || item === null || Array.isArray(item) ? item : { ...item, phone_numbers: nested },
    );
    fc.assert(
      fc.property(asJson(listed), (value) => {
        const parsed = wabaWithPhoneNumbers.safeParse(value);
        if (!parsed.success) return throwsPayload(() => readWabas([value], 'page 1', true));
        const { phone_numbers: phoneNumbers, ...item } = parsed.data;
        const [read] = readWabas([value], 'page 1', true);
        return isDeepStrictEqual(read?.waba, item) && canonicalJson(read!.waba) === canonicalJson(item) && isDeepStrictEqual(read?.phoneNumbers, phoneNumbers);
      }),
      runs,
    );
  });
});

function throwsPayload(read: () => unknown): boolean {
  try {
    read();
    return false;
  } catch (error) {
    return /field|data\[0\]/.test(String(error));
  }
}

describe('99digital fast readers answer what their schema would', () => {
  const runs = { numRuns: 3000 };
  const digital = fc.oneof(
    { weight: 3, arbitrary: scalar },
    fc.constantFrom(true, false, '0', '1', ' 1', '+972501234567', '972501234567', ' 972501234567', 972501234567, '-0', '12', 'a b', '', 1e21, -3, 2.5, '9007199254740993', '99999999999999999999'),
  );

  // Mostly values each field takes, so that most items pass and the answers are compared.
  const field = fc.oneof(
    { weight: 30, arbitrary: fc.constantFrom(0, 1, '1', '0', 17, '17', null, undefined) },
    { weight: 2, arbitrary: fc.constantFrom(-3, '-3', 2.5, true, ' 1', 'text', '9007199254740993', '99999999999999999999') },
    { weight: 1, arbitrary: digital },
  );
  const phoneField = fc.oneof({ weight: 5, arbitrary: fc.constantFrom('972501234567', 972501234567) }, { weight: 1, arbitrary: digital });
  const item = (keys: string[]) =>
    fc.oneof({ weight: 1, arbitrary: leaf }, { weight: 9, arbitrary: fc.record(Object.fromEntries(keys.map((key) => [key, key === 'whatsapp' ? phoneField : field]))) });
  let answered = 0;
  const counted = <T>(schema: z.ZodType<T>, fast: FastReader<T>) => (value: unknown) => {
    if (fast(value) !== FAIL) answered += 1;
    return agrees(schema, fast, value);
  };

  it('an onboarding', () => {
    answered = 0;
    fc.assert(fc.property(asJson(item(Object.keys(onboarding.shape))), counted(onboarding, fastOnboarding)), runs);
    expect(answered).toBeGreaterThan(30);
  });

  it('a number', () => {
    answered = 0;
    fc.assert(fc.property(asJson(item(Object.keys(number.shape))), counted(number, fastNumber)), runs);
    expect(answered).toBeGreaterThan(30);
  });

  it('take a well-formed item the fast way', () => {
    const item = { onboarding_link: 'L1', whatsapp: '972501234567', coexistence: 1, status: '1', create_time: 1700000000, business_name: 'A', business_email: null, business_id: 5, business_address: 'x', landing_page: 'https://x', display_name: 'A', reference: 'r' };
    expect(fastOnboarding(item)).not.toBe(FAIL);
    const line = { whatsapp: 972501234567, apiKey: 'k', create_time: '1700000000', display_name: 'A', business_name: 'B', isOnline: true, onlineAccount: 1, onlineInbox: 0, conversationsThisMonth: 3, marketingThisMonth: '1', serviceThisMonth: 2, incomingThisMonth: 0 };
    expect(fastNumber(line)).not.toBe(FAIL);
  });
});

describe('fast readers take what Meta sends', () => {
  it('every WABA and phone number of a simulated fleet goes the fast way', async () => {
    const meta = new MetaWorld({ latencyMs: 0 });
    seedMetaFleet(meta, { wabas: 300, phonesPerWaba: 2, owned: 5 });
    const answer = await meta.handler({
      method: 'GET',
      path: `/v23.0/${meta.businessId}/client_whatsapp_business_accounts`,
      query: new URLSearchParams({ limit: '100', fields: wabaFieldsParam(100) }),
      headers: { authorization: `Bearer ${meta.accessToken}` },
      body: '',
      baseUrl: 'http://127.0.0.1:1/meta',
    });
    const page = JSON.parse(JSON.stringify(answer.body)) as { data: Record<string, unknown>[] };
    expect(page.data).toHaveLength(100);
    for (const item of page.data) {
      expect(fastWaba(item)).not.toBe(FAIL);
      const nested = fastListPage(item.phone_numbers);
      expect(nested).not.toBe(FAIL);
      if (nested === FAIL) continue;
      expect(nested.data).toHaveLength(2);
      for (const number of nested.data) expect(fastPhoneNumber(number)).not.toBe(FAIL);
    }
  });
});
