/** Turning schema failures into messages that name the field (and the item, when in a list). */
import type { z } from 'zod';
import { PayloadError } from '../errors.js';
import { FAIL, type FastReader } from './fast-parse.js';

/**
 * A response body as JSON. One that is not fails as a PayloadError naming the source, the call,
 * the status and the size — never the body, which may echo what was sent.
 */
export function parseJsonBody(text: string, source: string, call: string, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PayloadError(source, call, `response is not valid JSON (HTTP ${status}, ${text.length} bytes)`, { cause: error });
  }
}

/** An error response's body as JSON, or null when it is not (an HTML error page in front of the API). */
export function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

type Issue = z.core.$ZodIssue;

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join('');
}

export function formatIssue(issue: Issue | undefined): string {
  if (!issue) return 'invalid payload';
  const path = formatPath(issue.path);
  const message = issue.code === 'invalid_type' && /received undefined/.test(issue.message) ? 'missing' : issue.message;
  return path ? `field ${path}: ${message}` : message;
}

/**
 * Validates one list item; on failure the message names the list position, the item's key when
 * it can be read, and the field — never the item's content (it may hold a secret).
 */
export function parseItem<T>(
  schema: z.ZodType<T>,
  value: unknown,
  where: { list: string; index: number; keyField: string },
  /** The schema's fast path (fast-parse.ts), tried first. */
  fast?: FastReader<T>,
): { ok: true; value: T } | { ok: false; message: string } {
  if (fast) {
    const quick = fast(value);
    if (quick !== FAIL) return { ok: true, value: quick };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const rawKey = value && typeof value === 'object' ? (value as Record<string, unknown>)[where.keyField] : undefined;
  const key = typeof rawKey === 'string' || typeof rawKey === 'number' ? ` (${where.keyField} ${JSON.stringify(String(rawKey))})` : '';
  return { ok: false, message: `${where.list}[${where.index}]${key} ${formatIssue(parsed.error.issues[0])}` };
}

/** A JSON object (not null, not an array): for payloads read defensively, field by field. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
