/** Every migration, by name. Names are timestamp-prefixed so they apply in order. */
import type { Migration } from 'kysely';
import * as initial from './2026_11_22_0001_initial.js';
import * as notify from './2026_11_22_0030_notify.js';
import * as reportDelivery from './2026_11_22_0040_report_delivery.js';
import * as currentHashIndex from './2026_11_22_0050_current_hash_index.js';
import * as postgresByteOrder from './2026_11_30_0060_postgres_byte_order.js';
import * as currentEntityView from './2026_11_30_0070_current_entity_view.js';
import * as jobClaim from './2026_11_30_0090_job_claim.js';
import * as webhookInbox from './2026_11_30_0100_webhook_inbox.js';
import * as unloggedStaging from './2026_11_30_0110_unlogged_staging.js';
import * as onboardingRequest from './2026_11_30_0120_onboarding_request.js';
import * as eventDelivery from './2026_11_30_0130_event_delivery.js';
import * as consoleEventKey from './2026_11_30_0170_console_event_key.js';
import * as byteOrderCatchUp from './2026_11_30_0990_postgres_byte_order_catch_up.js';
import * as sqliteStagingPerConnection from './2026_12_01_0010_sqlite_staging_per_connection.js';
import * as postgresCurrentIndexCarriesHash from './2026_12_01_0020_postgres_current_index_carries_hash.js';

export const migrations: Record<string, Migration> = {
  '2026_11_22_0001_initial': initial,
  '2026_11_22_0030_notify': notify,
  '2026_11_22_0040_report_delivery': reportDelivery,
  '2026_11_22_0050_current_hash_index': currentHashIndex,
  '2026_11_30_0060_postgres_byte_order': postgresByteOrder,
  '2026_11_30_0070_current_entity_view': currentEntityView,
  '2026_11_30_0090_job_claim': jobClaim,
  '2026_11_30_0100_webhook_inbox': webhookInbox,
  '2026_11_30_0110_unlogged_staging': unloggedStaging,
  '2026_11_30_0120_onboarding_request': onboardingRequest,
  '2026_11_30_0130_event_delivery': eventDelivery,
  '2026_11_30_0170_console_event_key': consoleEventKey,
  '2026_11_30_0990_postgres_byte_order_catch_up': byteOrderCatchUp,
  '2026_12_01_0010_sqlite_staging_per_connection': sqliteStagingPerConnection,
  '2026_12_01_0020_postgres_current_index_carries_hash': postgresCurrentIndexCarriesHash,
};
