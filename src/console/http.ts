/** Small HTTP pieces of the console: cookies, security headers, the client's address, form fields. */
import { readInstant } from '../instant.js';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'waba_console';
export const LOGIN_COOKIE = 'waba_console_login';

/**
 * No script at all (none of ours is inline or external), styles and images from this origin only,
 * forms post only here, nothing from other hosts; frames only our own report view.
 */
export const CONSOLE_CSP = "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'";
/** The report's own document (report.html, shown in a sandboxed frame): its inline styles, our images, still no script. */
export const REPORT_CSP = "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

export function securityHeaders(reply: FastifyReply, csp = CONSOLE_CSP): void {
  reply.header('content-security-policy', csp);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'SAMEORIGIN');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-origin');
  reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
  // Customer data: never kept by a browser or a proxy.
  reply.header('cache-control', 'no-store');
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function cookie(name: string, value: string, options: { secure: boolean; path?: string; clear?: boolean }): string {
  const parts = [`${name}=${options.clear ? '' : value}`, `Path=${options.path ?? '/'}`, 'HttpOnly', 'SameSite=Strict'];
  if (options.secure) parts.push('Secure');
  if (options.clear) parts.push('Max-Age=0');
  return parts.join('; ');
}

/** The peer's address (the console trusts no forwarding header: put it behind a proxy that keeps one client per address, or accept a shared throttle). */
export function clientAddress(request: FastifyRequest): string {
  return request.socket.remoteAddress ?? 'unknown';
}

/** A form or query field as one trimmed string; undefined when absent, empty or repeated oddly. */
export function field(source: unknown, name: string): string | undefined {
  if (!source || typeof source !== 'object') return undefined;
  const value = (source as Record<string, unknown>)[name];
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A form's moment (`datetime-local`, UTC here) → ISO; undefined when empty; null when unreadable (`readInstant`). */
export function instantField(value: string | undefined): string | undefined | null {
  return value === undefined ? undefined : readInstant(value);
}

/** ISO → the `datetime-local` input's value (UTC, to the millisecond: the form shows back the same instant). */
export function toInputValue(iso: string | undefined): string {
  return iso ? iso.slice(0, 23) : '';
}
