/**
 * 360dialog's clients and channels as our records, under upstream field names.
 *
 * Left out of the records on purpose: `modified_at` moves with every change upstream, including
 * the ones that have their own event, so keeping it would add a `channel.changed` carrying only
 * `modified_at` to every status, quality, tier or availability change (and report changes to
 * fields we don't keep); `hub_status` is deprecated in favour of `availability_status` and would
 * double each availability change the same way. Internal and deprecated fields are not kept.
 *
 * Records are built with their keys in sorted order: canonical JSON (src/diff/canonical.ts) then
 * writes them as they are instead of copying them sorted.
 */
import type { EntityRecord } from '../../sync/types.js';
import type { ChannelPayload, ClientPayload } from './schemas.js';

export function clientRecord(item: ClientPayload): EntityRecord {
  return {
    key: item.id,
    data: {
      contact_info: item.contact_info,
      created_at: item.created_at,
      id: item.id,
      max_channels: item.max_channels,
      name: item.name,
      partner_payload: item.partner_payload,
      status: item.status,
    },
  };
}

/** `setup_info.phone_number` and `waba_account.external_id` (the Meta WABA id) join channels to Meta. */
export function channelRecord(item: ChannelPayload): EntityRecord {
  return {
    key: item.id,
    data: {
      account_mode: item.account_mode,
      availability_status: item.availability_status,
      cancelled_at: item.cancelled_at,
      client_id: item.client_id,
      created_at: item.created_at,
      current_limit: item.current_limit,
      current_quality_rating: item.current_quality_rating,
      id: item.id,
      setup_info: item.setup_info && { phone_name: item.setup_info.phone_name, phone_number: item.setup_info.phone_number },
      status: item.status,
      terminated_at: item.terminated_at,
      waba_account: item.waba_account && {
        external_id: item.waba_account.external_id,
        fb_account_status: item.waba_account.fb_account_status,
        id: item.waba_account.id,
      },
    },
  };
}
