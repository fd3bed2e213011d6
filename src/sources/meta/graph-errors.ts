/**
 * Pure: a Graph answer that is not a success → what it means for us. The decision (give up, wait
 * and retry, back off and retry) follows from the code through errors.ts's RETRY_POLICY, so the
 * client's loop has no scattered checks.
 */
import { type ErrorCode, RETRY_POLICY, type RetryPolicy, stripUrlSecrets } from '../../errors.js';
import { type GraphErrorBody, errorEnvelope } from './schemas.js';

export const TOKEN_DEAD_MESSAGE = 'the Meta token is invalid or expired and must be replaced';

/** Graph codes that mean "too many calls": app (4), user (17), page (32), custom (613), business use case (80000–80014). */
const THROTTLE_CODES = new Set([4, 17, 32, 613]);
const isThrottleCode = (code: number) => THROTTLE_CODES.has(code) || (code >= 80_000 && code <= 80_014);
/** Graph's own "unknown error" (1) and "service temporarily unavailable" (2): worth another try. */
const TRANSIENT_CODES = new Set([1, 2]);

export interface GraphFailure {
  readonly code: ErrorCode;
  readonly detail: string;
  /** RETRY_POLICY of the code: THROTTLED waits, UNAVAILABLE backs off, everything else ends the pull at once. */
  readonly retry: RetryPolicy;
}

/** Reads `{error:{…}}` from a body, or null when there is none. */
export function readGraphError(body: unknown): GraphErrorBody | null {
  const parsed = errorEnvelope.safeParse(body);
  return parsed.success ? parsed.data.error : null;
}

export function classifyFailure(status: number, error: GraphErrorBody | null): GraphFailure {
  const { code, detail } = graphFailure(status, error);
  return { code, detail, retry: RETRY_POLICY[code] };
}

function graphFailure(status: number, error: GraphErrorBody | null): { code: ErrorCode; detail: string } {
  const code = error?.code;
  const label = graphLabel(status, error);
  if (code === 190 || code === 102) {
    return { code: 'AUTH', detail: `${TOKEN_DEAD_MESSAGE} (${label})` };
  }
  if (code === 10 || (code !== undefined && code >= 200 && code <= 299)) {
    const permission = namedPermission(error?.message);
    const what = permission
      ? `missing permission ${permission}`
      : "permission denied: check the system user's assets and permissions and the app's access level";
    return { code: 'PERMISSION', detail: `${what} (${label})` };
  }
  if ((code !== undefined && isThrottleCode(code)) || status === 429) {
    return { code: 'THROTTLED', detail: `throttled by Meta (${label})` };
  }
  if (code === 368) return { code: 'BLOCKED', detail: `blocked by Meta (${label})` };
  if (status >= 500 || (code !== undefined && TRANSIENT_CODES.has(code)) || error?.is_transient === true) {
    return { code: 'UNAVAILABLE', detail: `Meta is unavailable (${label})` };
  }
  return { code: 'UPSTREAM', detail: `request refused (${label})` };
}

/** "HTTP 400, Graph error 190/463: <Meta's message>" — Meta's message shortened and stripped of URLs' queries. */
function graphLabel(status: number, error: GraphErrorBody | null): string {
  const parts = [`HTTP ${status}`];
  if (error?.code !== undefined) {
    parts.push(`Graph error ${error.code}${error.error_subcode !== undefined ? `/${error.error_subcode}` : ''}`);
  }
  const label = parts.join(', ');
  const message = error?.message ? stripUrlSecrets(error.message).replace(/\s+/g, ' ').trim().slice(0, 300) : '';
  const trace = error?.fbtrace_id ? ` [fbtrace_id ${error.fbtrace_id}]` : '';
  return message ? `${label}: ${message}${trace}` : `${label}${trace}`;
}

/**
 * The permission Meta's message names, e.g. "(#200) Requires whatsapp_business_management
 * permission to manage the object" → whatsapp_business_management.
 */
export function namedPermission(message: string | undefined): string | null {
  if (!message) return null;
  const match = /\b((?:whatsapp_business|business|pages|ads|catalog|instagram)_[a-z_]*[a-z]|[a-z]+(?:_[a-z]+)*_(?:management|messaging|read|write))\b/.exec(message);
  return match ? match[1]! : null;
}
