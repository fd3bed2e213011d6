/**
 * 99digital answers `{status: "FAIL", reason: N}`, usually with HTTP 200. The same code means
 * different things on different endpoints, so the meaning is looked up per call.
 */
import type { ErrorCode } from '../../errors.js';

export type Digital99Call = 'accessToken' | 'getAccounts' | 'getWhatsApp' | 'getConversationsStatistics' | 'createAccount' | 'deleteAccount';

interface Meaning {
  readonly code: ErrorCode;
  readonly text: string;
}

const TOKEN: Record<number, Meaning> = {
  2: { code: 'AUTH', text: 'wrong client id or client secret (reason 2): check DIGITAL99_CLIENT_ID and DIGITAL99_CLIENT_SECRET' },
  3: { code: 'BLOCKED', text: 'this IP is blocked after too many wrong tries (reason 3): fix the credentials and ask 99digital to unblock it' },
  13: { code: 'UPSTREAM', text: 'wrong HTTP method (reason 13)' },
};

const DATA: Record<number, Meaning> = {
  2: { code: 'AUTH', text: 'wrong credentials (reason 2)' },
  3: { code: 'AUTH', text: 'access token missing or expired (reason 3)' },
  4: { code: 'UPSTREAM', text: 'bad number (reason 4)' },
  13: { code: 'UPSTREAM', text: 'wrong HTTP method (reason 13)' },
  26: { code: 'UPSTREAM', text: 'not found (reason 26)' },
  27: { code: 'UPSTREAM', text: 'number not in this account (reason 27)' },
};

/** getConversationsStatistics: unconfirmed beyond the shared codes; 26 read as "no statistics". */
const STATISTICS: Record<number, Meaning> = {
  ...DATA,
  26: { code: 'UPSTREAM', text: 'no statistics for this period or number (reason 26)' },
};

/**
 * createAccount (seed 001; its own reason table is cut off in every copy, so these are the shared
 * codes read for this call, UPSTREAM.md §3a). A code not listed is shown with the text that came
 * with it, if any.
 */
const CREATE: Record<number, Meaning> = {
  ...DATA,
  2: { code: 'UPSTREAM', text: 'wrong credentials or a body 99digital could not read (reason 2)' },
  4: { code: 'UPSTREAM', text: 'the number is empty or wrong, or it already has an onboarding link (reason 4): one link per registered number' },
  25: { code: 'UPSTREAM', text: "this number's onboarding is already finished (reason 25)" },
  26: { code: 'UPSTREAM', text: 'the number is not a registered, verified number of this account (reason 26): register and verify it first' },
};

/** deleteAccount (UPSTREAM.md §3a): only an unfinished link can be deleted. */
const DELETE: Record<number, Meaning> = {
  ...DATA,
  4: { code: 'UPSTREAM', text: 'the number is empty or wrong (reason 4)' },
  25: { code: 'UPSTREAM', text: 'the onboarding is already finished and can no longer be deleted (reason 25)' },
  26: { code: 'UPSTREAM', text: 'no onboarding link for this number (reason 26)' },
};

const TABLES: Record<Digital99Call, Record<number, Meaning>> = {
  accessToken: TOKEN,
  getAccounts: DATA,
  getWhatsApp: DATA,
  getConversationsStatistics: STATISTICS,
  createAccount: CREATE,
  deleteAccount: DELETE,
};

export function reasonMeaning(call: Digital99Call, reason: number): Meaning {
  return TABLES[call][reason] ?? { code: 'UPSTREAM', text: `request failed with reason ${reason}` };
}

/** A data call's "token missing or expired": renew once and retry. */
export const TOKEN_EXPIRED_REASON = 3;
