/** 99digital's entity kinds and the events their changes produce. */
import type { KindSpec } from '../../diff/types.js';

export const ONBOARDING = 'onboarding';
export const NUMBER = 'number';
/** This month's counters per number: history only, never events. */
export const NUMBER_COUNTERS = 'number_counters';

export function digital99Kinds(tempNumberPrefix: string): KindSpec[] {
  const isTemporary = (value: unknown) => typeof value === 'string' && value.startsWith(tempNumberPrefix);
  return [
    {
      kind: ONBOARDING,
      events: {
        added: 'onboarding.created',
        removed: 'onboarding.removed',
        changed: 'onboarding.changed',
        fieldEvents: [
          { field: 'status', type: 'onboarding.completed', when: ({ from, to }) => from === 0 && to === 1 },
          {
            field: 'whatsapp',
            type: 'onboarding.number_swapped',
            // From the temporary number to the real one — which may itself start like a temporary
            // one (Israeli 057 numbers are 97257…): finishing the onboarding in the same change tells.
            when: ({ from, to }, before, after) =>
              (before.coexistence === 1 || after.coexistence === 1) && isTemporary(from) && (!isTemporary(to) || (before.status === 0 && after.status === 1)),
          },
        ],
      },
    },
    {
      kind: NUMBER,
      events: {
        added: 'number.added',
        removed: 'number.removed',
        changed: 'number.changed',
        fieldEvents: [{ field: 'apiKeyFingerprint', type: 'number.api_key_rotated' }],
      },
    },
    { kind: NUMBER_COUNTERS },
  ];
}
