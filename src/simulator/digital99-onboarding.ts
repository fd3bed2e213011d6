/**
 * The simulator's side of seed 001: createAccount (a new onboarding link) and deleteAccount. Its
 * rules are written here on their own, from the seed, not borrowed from the client's validation,
 * so a client that let a bad field through would be answered FAIL as the provider would.
 *
 * Reasons: 2 a body that is not JSON (as the token call), 4 the number empty or wrong, 25 the
 * number's onboarding is already finished, 26 not found (not a registered number of the account,
 * or no link to delete). The seed's reason table is cut off after "reason", so the code for a
 * field the provider refuses is unknown: the simulator answers FIELD_ERROR_REASON with a
 * `message` naming the field, and the client shows any code it does not know with the text that
 * came with it. A second link for a number that has an open one is answered 4 with a message.
 */
import type { Digital99World, SimOnboarding } from './digital99.js';

/** Assumed (see above): the simulator's code for a refused field. */
export const FIELD_ERROR_REASON = 5;

type Answer = Record<string, unknown>;

const fail = (reason: number, message?: string): Answer => ({ status: 'FAIL', reason, ...(message ? { message } : {}) });

/** Letters (any script), their marks, digits, spaces and hyphens: seed 001's "letters, numbers and hyphen". */
const NAME = /^[\p{L}\p{M}\p{N} -]+$/u;

interface FieldRule {
  readonly max: number;
  readonly required?: boolean;
  readonly pattern?: RegExp;
}

const RULES: Readonly<Record<string, FieldRule>> = {
  business_name: { max: 100, required: true, pattern: NAME },
  display_name: { max: 50, required: true, pattern: NAME },
  business_email: { max: 200, pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/ },
  business_id: { max: 20, pattern: /^\d+$/ },
  business_address: { max: 300, pattern: /^[^\p{Cc}]+$/u },
  onboarding_logo: { max: 1000, pattern: /^https:\/\/[^\s]+$/ },
  onboarding_message: { max: 200, pattern: NAME },
  reference: { max: 50, pattern: NAME },
};

export function createAccount(world: Digital99World, rawBody: string): Answer {
  const body = parseBody(rawBody);
  if (!body) return fail(2, 'the body is not a JSON object');
  world.createRequests.push(body);
  const whatsapp = typeof body.whatsapp === 'string' || typeof body.whatsapp === 'number' ? String(body.whatsapp).trim() : '';
  const coexistence = whatsapp === '1';
  if (!coexistence && !/^\d{6,20}$/.test(whatsapp)) return fail(4);
  for (const [field, rule] of Object.entries(RULES)) {
    const value = body[field];
    if (value === undefined || value === null || value === '') {
      if (rule.required) return fail(FIELD_ERROR_REASON, `${field} is required`);
      continue;
    }
    if (typeof value !== 'string' || value.length > rule.max || (rule.pattern && !rule.pattern.test(value))) {
      return fail(FIELD_ERROR_REASON, `${field} is not valid`);
    }
  }
  if (body.basic_templates !== undefined && body.basic_templates !== 0 && body.basic_templates !== 1) {
    return fail(FIELD_ERROR_REASON, 'basic_templates is not valid');
  }
  if (!coexistence) {
    if (!world.registeredNumbers.has(whatsapp)) return fail(26);
    const existing = world.onboardingOf(whatsapp);
    if (existing?.status === 1) return fail(25);
    if (existing) return fail(4, 'this number already has an onboarding link');
  }
  const text = (field: string) => (typeof body[field] === 'string' ? (body[field] as string) : '');
  const landingPage = text('business_name') && text('business_address') && text('business_id');
  const fields: Partial<SimOnboarding> = {
    coexistence: coexistence ? 1 : 0,
    business_name: text('business_name'),
    display_name: text('display_name'),
    business_email: text('business_email'),
    business_id: text('business_id'),
    business_address: text('business_address'),
    reference: text('reference'),
    ...(coexistence ? {} : { whatsapp }),
  };
  const item = world.addOnboarding(fields);
  // The provider writes a landing page only when it has the business name, address and id.
  if (!landingPage) item.landing_page = '';
  return { status: 'OK', reason: 1, whatsapp: item.whatsapp, onboarding_link: item.onboarding_link, landing_page: item.landing_page };
}

export function deleteAccount(world: Digital99World, rawBody: string): Answer {
  const body = parseBody(rawBody);
  if (!body) return fail(2, 'the body is not a JSON object');
  const whatsapp = typeof body.whatsapp === 'string' || typeof body.whatsapp === 'number' ? String(body.whatsapp).trim() : '';
  if (!/^\d{6,20}$/.test(whatsapp)) return fail(4);
  const item = world.onboardingOf(whatsapp);
  if (!item) return fail(26);
  if (item.status === 1) return fail(25);
  world.deleteOnboarding(item.onboarding_link);
  return { status: 'OK', reason: 1 };
}

function parseBody(raw: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(raw) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
