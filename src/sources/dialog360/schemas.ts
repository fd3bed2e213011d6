/**
 * Payload schemas for 360dialog's Partner API v2 (UPSTREAM.md §2, seed 003). Tolerant where the
 * provider is loose (ids quoted or not, optional text missing or null, numbers as strings), strict
 * where a wrong value would corrupt what we store: keys, the channel status, the paging envelope.
 * Every failure names the field (`field total: missing`).
 */
import { z } from 'zod';

/** A whole number of 0 or more, also sent as a numeric string; undefined reads as "missing". */
const count = z.preprocess(
  (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
  z.number().int('expected a whole number').nonnegative('expected 0 or more'),
);

/**
 * An identifier, quoted or not. A number beyond 2^53 has already lost digits in JSON.parse, so it
 * is refused rather than stored wrong (Meta WABA ids are 15–16 digits: close to that edge).
 */
export const id = z.preprocess(
  (value) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : value),
  z.string('expected a string id (a number this large loses digits)').trim().min(1, 'expected a non-empty id'),
);

/** Free text that may be missing, null or a number; always stored as a string or null. */
const text = z.preprocess((value) => (typeof value === 'number' ? String(value) : (value ?? null)), z.string().nullable());

/** An id that may be missing or null. */
const optionalId = z.preprocess((value) => value ?? null, id.nullable());

/** The paging fields of one page: `{count, filters, sort, limit, offset, total, <list>: […]}`. */
export const pageEnvelope = z.object({
  total: count,
  count: count.optional(),
  limit: count.optional(),
  offset: count.optional(),
});

export const client = z.object({
  id,
  name: text,
  status: text,
  created_at: text,
  max_channels: z.preprocess((value) => value ?? null, count.nullable()),
  partner_payload: text,
  contact_info: z.preprocess((value) => value ?? null, z.record(z.string(), z.unknown()).nullable()),
});
export type ClientPayload = z.infer<typeof client>;

export const channel = z.object({
  id,
  client_id: id,
  // The one field whose absence would make a status event meaningless: required.
  status: z.string().trim().min(1, 'expected a non-empty status'),
  account_mode: text,
  current_limit: text,
  current_quality_rating: text,
  availability_status: text,
  created_at: text,
  terminated_at: text,
  cancelled_at: text,
  setup_info: z.preprocess(
    (value) => value ?? null,
    z.object({ phone_number: text, phone_name: text }).nullable(),
  ),
  waba_account: z.preprocess(
    (value) => value ?? null,
    z.object({ id: optionalId, external_id: optionalId, fb_account_status: text }).nullable(),
  ),
});
export type ChannelPayload = z.infer<typeof channel>;
