/**
 * Seed 001: creating and deleting a 99digital onboarding link. The fields are checked by the
 * seed's rules before anything is sent — a bad field is named (as the option that carries it and
 * as 99digital's field) and no call is made. The calls go through the App's one client, so they
 * share its token and credential cool-down with the pulls.
 *
 * Creating a link only creates it upstream: the link becomes an `onboarding` entity, and its
 * event, when the next pull sees it, as every other link does.
 */
import { z } from 'zod';
import { PayloadError } from '../../errors.js';
import { formatIssue } from '../validation.js';
import type { CallHooks, Digital99Client } from './client.js';
import { SOURCE } from './client.js';
import { id, phone } from './schemas.js';

/** What a person asks for, in our words (the `onboarding create` options). */
export interface OnboardingLinkRequest {
  /** A registered, verified number of the account; absent for a coexistence link. */
  readonly number?: string;
  readonly coexistence?: boolean;
  readonly businessName?: string;
  readonly displayName?: string;
  readonly businessEmail?: string;
  readonly businessId?: string;
  readonly businessAddress?: string;
  readonly reference?: string;
  readonly logo?: string;
  readonly message?: string;
  readonly basicTemplates?: boolean;
}

/**
 * Letters (any script, with their marks), digits, spaces and hyphens: seed 001's "letters,
 * numbers and hyphen". Spaces are allowed because the seed's own examples have them ("Pizza Hut -
 * Customer Service").
 */
const NAME_CHARACTERS = /^[\p{L}\p{M}\p{N} -]+$/u;
const NAME_RULE = 'only letters, numbers, spaces and hyphens';

const name = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `at most ${max} characters`)
    .regex(NAME_CHARACTERS, NAME_RULE);
const optional = <T extends z.ZodType>(schema: T) => schema.optional();

/** Each field under 99digital's name, with seed 001's rules; `option` is how a person gives it. */
const FIELDS = {
  whatsapp: { option: '--number', schema: z.string().trim().regex(/^\d{6,20}$/, 'digits only (6 to 20), e.g. 972501234567') },
  business_name: { option: '--business-name', schema: name(100) },
  display_name: { option: '--display-name', schema: name(50) },
  business_email: {
    option: '--business-email',
    schema: optional(z.string().trim().max(200, 'at most 200 characters').regex(/^[^\s@,<>"]+@[^\s@,<>"]+\.[^\s@,<>"]+$/, 'an email address')),
  },
  business_id: { option: '--business-id', schema: optional(z.string().trim().max(20, 'at most 20 characters').regex(/^\d+$/, 'digits only')) },
  business_address: {
    option: '--business-address',
    schema: optional(z.string().trim().min(1, 'must not be empty').max(300, 'at most 300 characters').regex(/^[^\p{Cc}]+$/u, 'no control characters')),
  },
  onboarding_logo: {
    option: '--logo',
    schema: optional(
      z
        .string()
        .trim()
        .max(1000, 'at most 1000 characters')
        .refine((value) => isHttpsUrl(value), 'an https:// URL'),
    ),
  },
  onboarding_message: { option: '--message', schema: optional(name(200)) },
  reference: { option: '--reference', schema: optional(name(50)) },
} as const;

type FieldName = keyof typeof FIELDS;

/** createAccount's body, every field checked. */
export type CreateAccountBody = { readonly whatsapp: string } & Partial<Record<Exclude<FieldName, 'whatsapp'>, string>> & { readonly basic_templates?: 0 | 1 };

export type LinkValidation = { readonly ok: true; readonly body: CreateAccountBody } | { readonly ok: false; readonly problems: readonly string[] };

/** Every problem of the request, each naming the option and 99digital's field; none → the body to send. */
export function validateOnboardingLink(request: OnboardingLinkRequest): LinkValidation {
  const problems: string[] = [];
  if (request.coexistence && request.number !== undefined) problems.push('--number and --coexistence: give one, not both');
  if (!request.coexistence && request.number === undefined) problems.push('--number: required (a registered, verified number), or --coexistence for a WhatsApp Business app number');
  const given: Record<FieldName, string | undefined> = {
    whatsapp: request.coexistence ? undefined : request.number,
    business_name: request.businessName,
    display_name: request.displayName,
    business_email: request.businessEmail,
    business_id: request.businessId,
    business_address: request.businessAddress,
    onboarding_logo: request.logo,
    onboarding_message: request.message,
    reference: request.reference,
  };
  const body: Record<string, string | number> = {};
  for (const [field, rule] of Object.entries(FIELDS) as [FieldName, (typeof FIELDS)[FieldName]][]) {
    if (field === 'whatsapp' && request.coexistence) continue;
    if (field === 'whatsapp' && request.number === undefined) continue;
    const value = given[field];
    if (value === undefined && (field === 'business_name' || field === 'display_name')) {
      problems.push(`${rule.option} (${field}): required`);
      continue;
    }
    const parsed = (rule.schema as z.ZodType<string | undefined>).safeParse(value);
    if (!parsed.success) {
      problems.push(`${rule.option} (${field}): ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    } else if (parsed.data !== undefined) {
      body[field] = parsed.data;
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  // A coexistence link is asked for with "1" in place of the number (seed 001).
  if (request.coexistence) body.whatsapp = '1';
  if (request.basicTemplates) body.basic_templates = 1;
  return { ok: true, body: body as CreateAccountBody };
}

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '' && !/\s/.test(value);
  } catch {
    return false;
  }
}

/** What 99digital answered to a created link. */
export interface CreatedLink {
  /** The number as 99digital answered it: for a coexistence link, the temporary 97257… number. */
  readonly whatsapp: string;
  readonly onboardingLink: string;
  /** The landing page 99digital generated (only when it had the business name, address and id). */
  readonly landingPage: string | null;
  readonly coexistence: boolean;
}

const createAnswer = z.object({
  whatsapp: phone,
  onboarding_link: id,
  landing_page: z
    .union([z.string(), z.null()])
    .optional()
    .transform((value) => (value?.trim() ? value.trim() : null)),
});

export async function createOnboardingLink(client: Digital99Client, path: string, body: CreateAccountBody, hooks: CallHooks = {}): Promise<CreatedLink> {
  const answer = await client.write('createAccount', hooks, { method: 'POST', path, json: body });
  const parsed = createAnswer.safeParse(answer);
  if (!parsed.success) throw new PayloadError(SOURCE, 'createAccount', formatIssue(parsed.error.issues[0]));
  return {
    whatsapp: parsed.data.whatsapp,
    onboardingLink: parsed.data.onboarding_link,
    landingPage: parsed.data.landing_page,
    coexistence: body.whatsapp === '1',
  };
}

/** Deletes the unfinished link of this number (irreversible upstream). */
export async function deleteOnboardingLink(client: Digital99Client, whatsapp: string, hooks: CallHooks = {}): Promise<void> {
  await client.write('deleteAccount', hooks, { method: 'DELETE', path: 'whatsapp/deleteAccount', json: { whatsapp } });
}
