/**
 * 99digital's onboarding webhook (UPSTREAM.md §5): no signature and no payload schema exist, so the
 * path token and the sender's address authenticate it, and any delivery means "something changed:
 * pull now" (a pull costs two calls) → `onboarding.completed`, `onboarding.number_swapped`,
 * `number.added` from the pull's comparison, as from any poll.
 */
import { addressAllowed } from '../../intake/addresses.js';
import { sameSecret } from '../../intake/secrets.js';
import type { WebhookReader } from '../upstream.js';
import type { Digital99Config } from './config.js';

export const digital99Webhook: WebhookReader<Digital99Config> = {
  path: 'digital99',
  pathToken: true,
  // Any delivery means "pull now", and its payload is undocumented: the same body again is another onboarding done.
  sameBodyMayRepeat: true,
  enabled: (config) => config.webhook !== null,
  authenticate(config, request) {
    if (!config.webhook || !sameSecret(request.rest, config.webhook.token)) return { ok: false, status: 404, reason: 'token' };
    if (!addressAllowed(request.remoteAddress, config.webhook.allow)) return { ok: false, status: 403, reason: 'address' };
    return { ok: true };
  },
  interpret: () => ({ targets: [], fullPull: 'now', events: [], unhandled: [] }),
};
