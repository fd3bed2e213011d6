/** 360dialog's entity kinds and the events their changes produce. */
import type { KindSpec } from '../../diff/types.js';

export const CLIENT = 'client';
export const CHANNEL = 'channel';

/** Clients before channels: a new client is reported before the channel it brings. */
export const dialog360Kinds: readonly KindSpec[] = [
  {
    kind: CLIENT,
    events: { added: 'client.added', removed: 'client.removed', changed: 'client.changed' },
  },
  {
    kind: CHANNEL,
    events: {
      added: 'channel.added',
      removed: 'channel.removed',
      changed: 'channel.changed',
      fieldEvents: [
        { field: 'status', type: 'channel.status_changed' },
        { field: 'current_quality_rating', type: 'channel.quality_changed' },
        { field: 'current_limit', type: 'channel.limit_changed' },
        { field: 'availability_status', type: 'channel.availability_changed' },
      ],
    },
  },
];
