/** 360dialog's reconciliation check: every live channel's WABA is one of the Meta client WABAs. */
import type { CheckContext, Finding, ReconcileCheck } from '../upstream.js';
import { SOURCE } from './client.js';
import { CHANNEL } from './kinds.js';

/** The source whose WABA ids a channel's `waba_account.external_id` must be among. */
const WABA_SOURCE = 'meta';

const LIVE_CHANNEL = new Set(['ready', 'running']);

/** 360dialog channels in ready/running whose waba_account.external_id is not a Meta client WABA. */
async function unknownChannelWabas(ctx: CheckContext): Promise<Finding[]> {
  const { values: wabas, describes } = await ctx.joined(WABA_SOURCE, 'waba_id');
  const findings: Finding[] = [];
  for (const channel of await ctx.current(SOURCE, CHANNEL)) {
    const status = channel.data.status;
    if (typeof status !== 'string' || !LIVE_CHANNEL.has(status)) continue;
    const account = (channel.data.waba_account ?? {}) as { external_id?: unknown };
    const external = account.external_id === null || account.external_id === undefined ? null : String(account.external_id);
    if (external !== null && wabas.has(external)) continue;
    const setup = (channel.data.setup_info ?? {}) as { phone_number?: unknown; phone_name?: unknown };
    const label = [setup.phone_number, setup.phone_name].filter((v) => v !== null && v !== undefined && v !== '').map(String).join(' ');
    findings.push({
      check: 'channel_waba_unknown',
      key: channel.key,
      detail: `channel ${channel.key}${label ? ` (${label})` : ''}, status ${status}: ${external === null ? 'no waba_account.external_id' : `WABA ${external} is not among ${describes}`}`,
    });
  }
  return findings;
}

export const DIALOG360_CHECKS: readonly ReconcileCheck[] = [
  {
    titles: { channel_waba_unknown: '360dialog: live channel whose WABA is not among the Meta client WABAs' },
    reads: [SOURCE, WABA_SOURCE],
    needsEnabled: true,
    run: unknownChannelWabas,
  },
];
