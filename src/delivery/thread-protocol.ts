/** Messages between the daemon and the dispatcher's thread (thread.ts, dispatcher-thread.ts). */
import type { PassResult } from './dispatcher.js';

/** workerData: the daemon's parsed settings (plain data) and its name on leases. */
export interface ThreadStart {
  readonly config: unknown;
  readonly holder: string;
  readonly pollMs?: number;
}

export type ThreadRequest = { readonly op: 'wake' } | { readonly op: 'runOnce'; readonly id: number } | { readonly op: 'stop' };

export type ThreadReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'log'; readonly line: string }
  | { readonly kind: 'metric'; readonly metric: 'delivered' | 'attemptFailed' | 'failed'; readonly subscription: string; readonly lagSeconds?: number }
  | { readonly kind: 'reply'; readonly id: number; readonly value?: PassResult; readonly error?: string };
