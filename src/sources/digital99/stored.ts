/**
 * What the monthly report (reports/query.ts) reads of 99digital's stored history: which source
 * and kinds, and each stored record parsed once into the report's shapes. A stored record that
 * does not parse names its kind, key and field.
 */
import { z } from 'zod';
import { WabaSyncError } from '../../errors.js';
import { SOURCE } from './client.js';
import { digital99ConfigSection } from './config.js';
import { NUMBER, NUMBER_COUNTERS } from './kinds.js';

export { NUMBER, NUMBER_COUNTERS, SOURCE };

/** Why 99digital's own statistics are unavailable when it is not configured. */
export const NOT_CONFIGURED = `99digital is not configured (${digital99ConfigSection.credentialVariables.join(', ')})`;

/** A number's counters this month (reports/types.ts `Counters`). */
export interface StoredCounters {
  readonly conversations: number;
  readonly marketing: number;
  readonly service: number;
  readonly incoming: number;
}

/** A listed number (reports/types.ts `NumberInfo`). */
export interface StoredNumber {
  readonly whatsapp: string;
  readonly display_name: string | null;
  readonly business_name: string | null;
  readonly coexistence: 0 | 1;
}

// ---- stored JSON → report types ----

const count = z.number().int().nonnegative();
const storedCounters = z.object({ conversationsThisMonth: count, marketingThisMonth: count, serviceThisMonth: count, incomingThisMonth: count });
const storedNumber = z.object({
  whatsapp: z.string(),
  display_name: z.string().nullable().optional(),
  business_name: z.string().nullable().optional(),
  coexistence: z.union([z.literal(0), z.literal(1)]).optional(),
});

function parseStored<T>(schema: z.ZodType<T>, kind: string, key: string, data: string): T {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new WabaSyncError('INCONSISTENT', `stored digital99 ${kind} ${key}: not valid JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WabaSyncError('INCONSISTENT', `stored digital99 ${kind} ${key}: field ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function readCounters(key: string, data: string): StoredCounters {
  const c = parseStored(storedCounters, NUMBER_COUNTERS, key, data);
  return { conversations: c.conversationsThisMonth, marketing: c.marketingThisMonth, service: c.serviceThisMonth, incoming: c.incomingThisMonth };
}

export function readNumber(key: string, data: string): StoredNumber {
  const n = parseStored(storedNumber, NUMBER, key, data);
  return { whatsapp: n.whatsapp, display_name: n.display_name ?? null, business_name: n.business_name ?? null, coexistence: n.coexistence ?? 0 };
}

/** A number the report saw removed but whose record it no longer holds. */
export function unknownNumber(whatsapp: string): StoredNumber {
  return { whatsapp, display_name: null, business_name: null, coexistence: 0 };
}
