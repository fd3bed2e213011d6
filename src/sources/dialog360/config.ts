/** 360dialog's settings section: its variables, defaults and validation (composed by src/config.ts). */
import type { ConfigSection } from '../upstream.js';


/** Fields 360dialog sets when it creates a client or channel and never changes: the only ones a sweep may sort on. */
const FIXED_FIELDS = new Set(['id', 'created_at']);
export interface Dialog360Config {
  readonly apiUrl: string;
  /** Sent as X-API-Key; a secret. */
  readonly apiKey: string;
  readonly partnerId: string;
  readonly pageSize: number;
  /** Requests at the same time: the two lists side by side when read newest first, else pages of one list once its total is known. */
  readonly concurrency: number;
  /** Sweeps of one list per pull before a list that keeps changing fails the pull. */
  readonly sweepAttempts: number;
  /** Sort fields sent as repeated `sort` parameters (`-` prefix for descending). */
  readonly sort: readonly string[];
  /** A list whose `total` is above this is not believed: the pull fails before paging it. */
  readonly maxRows: number;
  /** DIALOG360_WEBHOOK_SECRET: signs the partner webhook (X-360Dialog-Signature); null: the intake path is off. */
  readonly webhookSecret: string | null;
}

export const dialog360ConfigSection: ConfigSection<Dialog360Config> = {
  credentialVariables: ['DIALOG360_API_KEY', 'DIALOG360_PARTNER_ID'],
  secretVariables: ['DIALOG360_API_KEY'],
  read(read) {
    const dialog360Credentials = read.credentials({
      apiKey: 'DIALOG360_API_KEY',
      partnerId: 'DIALOG360_PARTNER_ID',
    });
    const dialog360 = {
      apiUrl: read.url('DIALOG360_API_URL', 'https://hub.360dialog.io/api/v2'),
      // Overlapping pages (a sort not on created_at) share one item to prove they join up, so a page needs room for two.
      pageSize: read.int('DIALOG360_PAGE_SIZE', 100, 2, 1000),
      concurrency: read.int('DIALOG360_CONCURRENCY', 4, 1, 32),
      sweepAttempts: read.int('DIALOG360_SWEEP_ATTEMPTS', 3, 1, 20),
      sort: read.string('DIALOG360_SORT', 'created_at,id').split(',').map((field) => field.trim()),
      maxRows: read.int('DIALOG360_MAX_ROWS', 1_000_000, 1, 100_000_000),
      webhookSecret: read.raw('DIALOG360_WEBHOOK_SECRET') ?? null,
    };
    if (!dialog360.sort.every((field) => /^-?[A-Za-z_][A-Za-z0-9_.]*$/.test(field))) {
      read.problems.push(`DIALOG360_SORT: expected comma-separated field names (optional "-" prefix), got ${JSON.stringify(dialog360.sort.join(','))}`);
    } else if (!dialog360.sort.every((field) => FIXED_FIELDS.has(field.replace(/^-/, '')))) {
      // A row whose sort key changes mid-read can move onto a page already read, past every check,
      // and look removed (docs/sources.md, 360dialog).
      read.problems.push(`DIALOG360_SORT: sort only on fields that never change (${[...FIXED_FIELDS].join(', ')}), got ${JSON.stringify(dialog360.sort.join(','))}`);
    }
    return dialog360Credentials && { ...dialog360Credentials, ...dialog360 };
  },
};
