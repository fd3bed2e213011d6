/** Meta's WABAs and phone numbers as our records (keys in sorted order: see schemas.ts). */
import type { EntityRecord } from '../../sync/types.js';
import type { PhoneNumberPayload, WabaPayload } from './schemas.js';

export function wabaRecord(item: WabaPayload): EntityRecord {
  return { key: item.id, data: { ...item } };
}

/** A number with the WABA it was listed under (`waba_id` sorts last). */
export function phoneRecord(item: PhoneNumberPayload, wabaId: string): EntityRecord {
  return { key: item.id, data: { ...item, waba_id: wabaId } };
}
