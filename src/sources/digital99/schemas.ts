/**
 * Payload schemas for the 99digital partners API. Tolerant where the provider is loose (numbers as
 * strings or numbers, ids either way, optional text missing or null), strict where a wrong value
 * would corrupt what we store (keys, status flags, counters).
 */
import { z } from 'zod';
import { FAIL, type FastReader, fastObject } from '../fast-parse.js';

/** An integer sent as a number or a numeric string. */
export const intLike = z.union([z.number().int(), z.string().trim().regex(/^-?\d+$/, 'expected a whole number').transform(Number)]);
/** 0 or 1, also as "0"/"1" or a boolean. */
export const flag = z.union([z.boolean().transform((b) => (b ? 1 : 0)), intLike]).pipe(z.union([z.literal(0), z.literal(1)]));
/** A non-empty identifier, quoted or not. */
export const id = z.union([z.string().trim().min(1, 'expected a non-empty value'), z.number().int().nonnegative().transform(String)]);
/** Free text that may be missing, null or a number. */
export const text = z
  .union([z.string(), z.number().transform(String), z.null()])
  .optional()
  .transform((value) => value ?? null);
/** A phone number as digits (quoted or not, a leading + tolerated). */
export const phone = z
  .union([z.string(), z.number().int().nonnegative().transform(String)])
  .transform((value) => value.trim().replace(/^\+/, ''))
  .pipe(z.string().regex(/^\d{6,20}$/, 'expected a phone number of digits'));
export const count = intLike.pipe(z.number().int().nonnegative('expected a count of 0 or more'));

export const envelope = z.object({
  // The docs write it "OK"/"FAIL" and, in places, "Fail": read either case.
  status: z.preprocess((value) => (typeof value === 'string' ? value.trim().toUpperCase() : value), z.enum(['OK', 'FAIL'])),
  reason: intLike.optional(),
});

export const tokenResponse = z.object({
  access_token: z.string().min(1),
  expiration_time: intLike,
  token_type: z.string().optional(),
});

export const onboarding = z.object({
  onboarding_link: id,
  whatsapp: phone,
  coexistence: flag.default(0),
  status: flag,
  create_time: intLike.nullable().optional(),
  business_name: text,
  business_email: text,
  business_id: text,
  business_address: text,
  landing_page: text,
  display_name: text,
  reference: text,
});
export type OnboardingPayload = z.infer<typeof onboarding>;

export const number = z.object({
  whatsapp: phone,
  apiKey: z.string().nullable().optional(),
  create_time: intLike.nullable().optional(),
  display_name: text,
  business_name: text,
  isOnline: flag.nullable().optional(),
  onlineAccount: intLike.nullable().optional(),
  onlineInbox: intLike.nullable().optional(),
  coexistence: flag.default(0),
  conversationsThisMonth: count,
  marketingThisMonth: count,
  serviceThisMonth: count,
  incomingThisMonth: count,
});
export type NumberPayload = z.infer<typeof number>;

export const numbersTotals = z.object({
  totalWhatsApp: count.optional(),
  totalConversationsThisMonth: count.optional(),
  totalMarketingThisMonth: count.optional(),
  totalServiceThisMonth: count.optional(),
  totalIncomingThisMonth: count.optional(),
});

/** One month of getConversationsStatistics: monthYear as mmyyyy ("012025"), sent quoted or not. */
export const monthlyStatistics = z.object({
  monthYear: z
    .union([z.string().trim(), z.number().int().nonnegative().transform((n) => String(n).padStart(6, '0'))])
    .pipe(z.string().regex(/^(0[1-9]|1[0-2])\d{4}$/, 'expected a month as mmyyyy')),
  totalConversations: count,
  totalMarketing: count,
  totalService: count,
  totalIncoming: count,
});
export type MonthlyStatisticsPayload = z.infer<typeof monthlyStatistics>;

// Fast paths beside `onboarding` and `number` (src/sources/fast-parse.ts): the same result for the
// well-formed item, FAIL for anything zod should judge (spaces to trim, a leading +, a bad flag…).
const DIGITS_6_20 = /^\d{6,20}$/;
const WHOLE = /^-?\d+$/;
const COUNT = /^\d+$/;

const fastId: FastReader<string> = (value) => {
  if (typeof value === 'string') return value.length > 0 && value.trim() === value ? value : FAIL;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : FAIL;
};
const fastPhone: FastReader<string> = (value) => {
  const digits = typeof value === 'string' ? value : typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : null;
  return digits !== null && DIGITS_6_20.test(digits) ? digits : FAIL;
};
const fastFlag: FastReader<0 | 1> = (value) => {
  if (value === 0 || value === 1) return value;
  if (value === true || value === false) return value ? 1 : 0;
  return value === '0' ? 0 : value === '1' ? 1 : FAIL;
};
const fastFlagOr0: FastReader<0 | 1> = (value) => (value === undefined ? 0 : fastFlag(value));
const fastText: FastReader<string | null> = (value) => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return value === null || value === undefined ? null : FAIL;
};
/** intLike, nullable, optional: a missing key stays missing. */
const fastOptionalInt: FastReader<number | null | undefined> = (value) => {
  if (value === undefined || value === null) return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : FAIL;
  return typeof value === 'string' && WHOLE.test(value) ? Number(value) : FAIL;
};
const fastCount: FastReader<number> = (value) => {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : FAIL;
  if (typeof value !== 'string' || !COUNT.test(value)) return FAIL;
  // zod's int() stops at 2^53: a longer count is its to refuse.
  const count = Number(value);
  return Number.isSafeInteger(count) ? count : FAIL;
};
const fastOptionalApiKey: FastReader<string | null | undefined> = (value) => (value === undefined || value === null || typeof value === 'string' ? value : FAIL);

export const fastOnboarding = fastObject<OnboardingPayload>({
  onboarding_link: fastId,
  whatsapp: fastPhone,
  coexistence: fastFlagOr0,
  status: fastFlag,
  create_time: fastOptionalInt,
  business_name: fastText,
  business_email: fastText,
  business_id: fastText,
  business_address: fastText,
  landing_page: fastText,
  display_name: fastText,
  reference: fastText,
});

export const fastNumber = fastObject<NumberPayload>({
  whatsapp: fastPhone,
  apiKey: fastOptionalApiKey,
  create_time: fastOptionalInt,
  display_name: fastText,
  business_name: fastText,
  isOnline: (value) => (value === undefined || value === null ? value : fastFlag(value)),
  onlineAccount: fastOptionalInt,
  onlineInbox: fastOptionalInt,
  coexistence: fastFlagOr0,
  conversationsThisMonth: fastCount,
  marketingThisMonth: fastCount,
  serviceThisMonth: fastCount,
  incomingThisMonth: fastCount,
});
