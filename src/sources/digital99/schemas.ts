/**
 * Payload schemas for the 99digital partners API. Tolerant where the provider is loose (numbers as
 * strings or numbers, ids either way, optional text missing or null), strict where a wrong value
 * would corrupt what we store (keys, status flags, counters).
 */
import { z } from 'zod';

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
  status: z.enum(['OK', 'FAIL']),
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
