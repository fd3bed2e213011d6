/**
 * Payload schemas for the Graph API. Tolerant where Graph is loose (ids quoted or not, numbers as
 * strings, enum values we have not seen yet, optional objects missing), strict where a wrong value
 * would corrupt what we store or how we page (ids, creation_time, the paging envelope).
 */
import { z } from 'zod';
import { FAIL, type FastReader, fastObject, numericId, optional, optionalBoolean, optionalString, optionalText, optionalUnixSeconds, orNull, unknownArray } from '../fast-parse.js';

/** A Graph id: quoted or not in samples; always a string here. */
export const graphId = z.union([
  z.string().trim().regex(/^\d+$/, 'expected a numeric id'),
  z.number().int().nonnegative().transform(String),
]);

/** Unix seconds, as a number or a numeric string. */
export const unixSeconds = z.union([
  z.number().int().nonnegative(),
  z.string().trim().regex(/^\d+$/, 'expected unix seconds').transform(Number),
]);

/** Free text (or an enum value we keep as written) that may be missing or null. */
// (`.optional()` rather than a union with undefined: only that lets zod accept a missing key.)
const text = z
  .union([z.string(), z.number().transform(String), z.boolean().transform(String), z.null()])
  .optional()
  .transform((value) => value ?? null);

const businessInfo = z
  .object({
    id: graphId.optional(),
    name: text,
    status: text,
    type: text,
  })
  .transform((info) => Object.fromEntries(Object.entries(info).filter(([, value]) => value !== null && value !== undefined)))
  .nullable()
  .optional()
  .transform((value) => value ?? null);

/** Fields asked on both WABA list edges (so no call per WABA is needed). */
export const WABA_FIELDS = [
  'id',
  'name',
  'currency',
  'timezone_id',
  'message_template_namespace',
  'account_review_status',
  'business_verification_status',
  'ownership_type',
  'creation_time',
  'on_behalf_of_business_info',
  'owner_business_info',
  'status',
  'whatsapp_business_manager_messaging_limit',
] as const;

// Keys in alphabetical order: records built from it are already canonical (src/diff/canonical.ts).
export const waba = z.object({
  account_review_status: text,
  business_verification_status: text,
  // Needed to page by creation time; a WABA without it is stored with null (see the walker).
  creation_time: unixSeconds.nullable().optional().transform((value) => value ?? null),
  currency: text,
  id: graphId,
  message_template_namespace: text,
  name: text,
  on_behalf_of_business_info: businessInfo,
  owner_business_info: businessInfo,
  ownership_type: text,
  status: text,
  timezone_id: text,
  whatsapp_business_manager_messaging_limit: text,
});
export type WabaPayload = z.infer<typeof waba>;

// zod's answer keeps only the members that are set: a record of strings.
const fastBusinessInfo = orNull(
  fastObject<Record<string, string | null>>({ id: optional(numericId) as FastReader<string | null>, name: optionalText, status: optionalText, type: optionalText }, { dropNull: true }),
);

/** `waba`'s fast path (see fast-parse.ts): the same fields, the same result. */
export const fastWaba = fastObject<WabaPayload>({
  account_review_status: optionalText,
  business_verification_status: optionalText,
  creation_time: optionalUnixSeconds,
  currency: optionalText,
  id: numericId,
  message_template_namespace: optionalText,
  name: optionalText,
  on_behalf_of_business_info: fastBusinessInfo,
  owner_business_info: fastBusinessInfo,
  ownership_type: optionalText,
  status: optionalText,
  timezone_id: optionalText,
  whatsapp_business_manager_messaging_limit: optionalText,
});

export const PHONE_NUMBER_FIELDS = [
  'id',
  'display_phone_number',
  'verified_name',
  'quality_rating',
  'code_verification_status',
  'name_status',
  'platform_type',
  'status',
  'throughput',
  'is_on_biz_app',
  'last_onboarded_time',
] as const;

// Keys in alphabetical order, like `waba`; the record adds `waba_id`, which sorts last.
export const phoneNumber = z.object({
  code_verification_status: text,
  display_phone_number: text,
  id: graphId,
  is_on_biz_app: z
    .boolean()
    .nullable()
    .optional()
    .transform((value) => value ?? null),
  last_onboarded_time: text,
  name_status: text,
  platform_type: text,
  quality_rating: text,
  status: text,
  throughput: z
    .object({ level: text })
    .nullable()
    .optional()
    .transform((value) => value ?? null),
  verified_name: text,
});
export type PhoneNumberPayload = z.infer<typeof phoneNumber>;

/** `phoneNumber`'s fast path. */
export const fastPhoneNumber = fastObject<PhoneNumberPayload>({
  code_verification_status: optionalText,
  display_phone_number: optionalText,
  id: numericId,
  is_on_biz_app: optionalBoolean,
  last_onboarded_time: optionalText,
  name_status: optionalText,
  platform_type: optionalText,
  quality_rating: optionalText,
  status: optionalText,
  throughput: orNull(fastObject({ level: optionalText })),
  verified_name: optionalText,
});

/** `{data: [...], paging: {cursors, next, previous}}`; `paging` is absent on a last page of some edges. */
export const listPage = z.object({
  data: z.array(z.unknown()),
  paging: z
    .object({
      cursors: z.object({ before: z.string().optional(), after: z.string().optional() }).partial().optional(),
      next: z.string().min(1).optional(),
      previous: z.string().optional(),
    })
    .optional(),
});

/** A page of an edge nested in another answer by field expansion: the same envelope as a list page. */
export const nestedPage = listPage;
export type NestedPage = z.infer<typeof nestedPage>;

const nonEmptyString = (value: unknown) => (value === undefined ? undefined : typeof value === 'string' && value.length > 0 ? value : FAIL);

/** `listPage`'s (and `nestedPage`'s) fast path. */
export const fastListPage: FastReader<NestedPage> = fastObject<NestedPage>({
  data: unknownArray,
  paging: optional(
    fastObject<NonNullable<NestedPage['paging']>>({
      cursors: optional(fastObject({ before: optionalString, after: optionalString })),
      next: nonEmptyString,
      previous: optionalString,
    }),
  ),
});

/**
 * The `fields` parameter of a WABA list edge: every WABA field we keep and, when
 * `phoneNumbersLimit` is given, the WABA's phone numbers by field expansion
 * (`phone_numbers.limit(N){…}`), so a list page brings them without a call per WABA.
 */
export function wabaFieldsParam(phoneNumbersLimit: number | null): string {
  const fields: string[] = [...WABA_FIELDS];
  if (phoneNumbersLimit !== null) fields.push(`phone_numbers.limit(${phoneNumbersLimit}){${PHONE_NUMBER_FIELDS.join(',')}}`);
  return fields.join(',');
}

/**
 * A WABA as listed with its phone numbers expanded. The nested envelope is checked as strictly as
 * a list page (a WABA whose `phone_numbers` is not `{data: [...], paging?}` fails the pull). A
 * missing key is left undefined here: Graph omits an expanded edge that has nothing on it.
 */
export const wabaWithPhoneNumbers = waba.extend({ phone_numbers: nestedPage.optional() });

/** The Graph error envelope, tolerant of codes sent as strings. */
export const errorEnvelope = z.object({
  error: z.object({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
    error_subcode: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
    is_transient: z.boolean().optional(),
    fbtrace_id: z.string().optional(),
  }),
});
export type GraphErrorBody = z.infer<typeof errorEnvelope>['error'];

export const debugToken = z.object({
  data: z.object({
    is_valid: z.boolean(),
    expires_at: unixSeconds.optional(),
    data_access_expires_at: unixSeconds.optional(),
    app_id: graphId.optional(),
    application: z.string().optional(),
    type: z.string().optional(),
    granular_scopes: z
      .array(z.object({ scope: z.string(), target_ids: z.array(graphId).optional() }))
      .optional()
      .default([]),
    error: z.object({ message: z.string().optional(), code: z.number().optional() }).optional(),
  }),
});
export type DebugTokenPayload = z.infer<typeof debugToken>['data'];
