/** Meta's entity kinds and the events their changes produce ("one change, one event"). */
import type { KindSpec } from '../../diff/types.js';

/** WABAs shared with the partner's business portfolio (its clients). */
export const WABA = 'waba';
/** WABAs the partner owns. */
export const OWNED_WABA = 'owned_waba';
/** Phone numbers of client WABAs, each carrying its waba_id. */
export const PHONE_NUMBER = 'phone_number';

export const META_KINDS: readonly KindSpec[] = [
  {
    kind: WABA,
    events: {
      added: 'waba.shared',
      removed: 'waba.unshared',
      changed: 'waba.changed',
      fieldEvents: [{ field: 'account_review_status', type: 'waba.review_status_changed' }],
    },
  },
  {
    kind: OWNED_WABA,
    events: {
      added: 'waba.owned_added',
      removed: 'waba.owned_removed',
      changed: 'waba.changed',
      fieldEvents: [{ field: 'account_review_status', type: 'waba.review_status_changed' }],
    },
  },
  {
    kind: PHONE_NUMBER,
    events: {
      added: 'phone_number.added',
      removed: 'phone_number.removed',
      changed: 'phone_number.changed',
      fieldEvents: [
        { field: 'quality_rating', type: 'phone_number.quality_changed' },
        { field: 'status', type: 'phone_number.status_changed' },
      ],
    },
  },
];
