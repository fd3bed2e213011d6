/**
 * Churn applied through the simulators' scripting APIs, each operation with the events it must
 * produce in the next full pull — so the benchmark can check that events equal churn exactly.
 *
 * Every operation in one round touches a different entity (two changes to one entity in one round
 * would be one event, or none), and every field change moves to a value different from the current
 * one. Operations cycle through their kinds so each kind appears in every round.
 */
import type { Dialog360World, SimChannel, SimClient } from '../simulator/dialog360.js';
import type { Digital99World, SimNumber } from '../simulator/digital99.js';
import type { MetaWorld, SimWaba } from '../simulator/meta.js';
import { type Rng, createRng } from '../simulator/rng.js';

/** Event type → how many. */
export type EventCounts = Record<string, number>;

export interface ChurnRound {
  /** Operations applied, by name. */
  readonly operations: Record<string, number>;
  /** The events these operations must produce. */
  readonly expected: EventCounts;
}

class RoundBuilder {
  readonly operations: Record<string, number> = {};
  readonly expected: EventCounts = {};

  record(operation: string, events: EventCounts): void {
    this.operations[operation] = (this.operations[operation] ?? 0) + 1;
    for (const [type, n] of Object.entries(events)) if (n > 0) this.expected[type] = (this.expected[type] ?? 0) + n;
  }

  done(): ChurnRound {
    return { operations: this.operations, expected: this.expected };
  }
}

/** `share` of `size` (e.g. 0.005 of 100,000 = 500), at least one of each operation kind. */
export function operationCount(size: number, share: number, kinds: number): number {
  return Math.max(kinds, Math.round(size * share));
}

/** A value from `options` other than `current`. */
function other<T>(rng: Rng, options: readonly T[], current: T): T {
  const choices = options.filter((option) => option !== current);
  return choices[rng.int(0, choices.length - 1)]!;
}

/** Picks distinct untouched items at random from a list that may change between picks. */
function picker<T>(rng: Rng, touched: Set<string>, idOf: (item: T) => string) {
  return (items: readonly T[], accept: (item: T) => boolean = () => true): T | undefined => {
    for (let attempt = 0; attempt < 1000 && items.length > 0; attempt++) {
      const item = items[rng.int(0, items.length - 1)]!;
      const id = idOf(item);
      if (!touched.has(id) && accept(item)) {
        touched.add(id);
        return item;
      }
    }
    return undefined;
  };
}

// ---- Meta ----

const META_OPERATIONS = ['share', 'unshare', 'review_status', 'rename', 'phone_quality', 'phone_status', 'phone_name'] as const;
const REVIEW = ['APPROVED', 'PENDING', 'REJECTED'] as const;
const QUALITY = ['GREEN', 'YELLOW', 'RED'];
const PHONE_STATUS = ['CONNECTED', 'FLAGGED', 'RESTRICTED'];

export function metaChurn(world: MetaWorld, share: number, seed: number): ChurnRound {
  const rng = createRng(seed);
  const round = new RoundBuilder();
  const touched = new Set<string>();
  const pick = picker<SimWaba>(rng, touched, (waba) => waba.id);
  const count = operationCount(world.clients.items.length, share, META_OPERATIONS.length);
  for (let i = 0; i < count; i++) {
    const operation = META_OPERATIONS[i % META_OPERATIONS.length]!;
    if (operation === 'share') {
      const waba = world.shareWaba({ account_review_status: 'APPROVED' });
      world.addPhoneNumber(waba.id);
      touched.add(waba.id);
      round.record(operation, { 'waba.shared': 1, 'phone_number.added': 1 });
      continue;
    }
    const waba = pick(world.clients.items, (item) => operation === 'unshare' || operation === 'review_status' || operation === 'rename' || (world.phoneNumbers.get(item.id)?.length ?? 0) > 0);
    if (!waba) continue;
    const phone = world.phoneNumbers.get(waba.id)?.[0];
    switch (operation) {
      case 'unshare': {
        const phones = world.phoneNumbers.get(waba.id)?.length ?? 0;
        world.unshareWaba(waba.id);
        round.record(operation, { 'waba.unshared': 1, 'phone_number.removed': phones });
        break;
      }
      case 'review_status':
        world.setReviewStatus(waba.id, other(rng, REVIEW, waba.account_review_status as (typeof REVIEW)[number]));
        round.record(operation, { 'waba.review_status_changed': 1 });
        break;
      case 'rename':
        world.updateWaba(waba.id, { name: `${waba.name} (renamed ${seed})` });
        round.record(operation, { 'waba.changed': 1 });
        break;
      case 'phone_quality':
        world.updatePhoneNumber(phone!.id, { quality_rating: other(rng, QUALITY, phone!.quality_rating) });
        round.record(operation, { 'phone_number.quality_changed': 1 });
        break;
      case 'phone_status':
        world.updatePhoneNumber(phone!.id, { status: other(rng, PHONE_STATUS, phone!.status) });
        round.record(operation, { 'phone_number.status_changed': 1 });
        break;
      case 'phone_name':
        world.updatePhoneNumber(phone!.id, { verified_name: `${phone!.verified_name} (renamed ${seed})` });
        round.record(operation, { 'phone_number.changed': 1 });
        break;
    }
  }
  return round.done();
}

/** New client WABAs (created now, one number each) for the incremental pull: their numbers come with them (field expansion). */
export function metaNewWabas(world: MetaWorld, count: number): ChurnRound {
  const round = new RoundBuilder();
  for (let i = 0; i < count; i++) {
    const waba = world.shareWaba({ account_review_status: 'PENDING' });
    world.addPhoneNumber(waba.id);
    round.record('share', { 'waba.shared': 1, 'phone_number.added': 1 });
  }
  return round.done();
}

// ---- 99digital ----

const DIGITAL99_OPERATIONS = ['add_onboarding', 'finish_onboarding', 'delete_onboarding', 'remove_number', 'rotate_api_key', 'rename_number', 'traffic'] as const;

export function digital99Churn(world: Digital99World, share: number, seed: number): ChurnRound {
  const rng = createRng(seed);
  const round = new RoundBuilder();
  const touched = new Set<string>();
  const pickNumber = picker<SimNumber>(rng, touched, (item) => `n:${item.whatsapp}`);
  // Unfinished onboardings from earlier rounds (this round's own are left for the next).
  const pending = [...world.onboardings.values()].filter((item) => item.status === 0).map((item) => item.onboarding_link);
  const numbers = [...world.numbers.values()];
  const count = operationCount(world.onboardings.size, share, DIGITAL99_OPERATIONS.length);
  const addOnboarding = () => {
    world.addOnboarding({ coexistence: rng.next() < 0.5 ? 1 : 0 });
    round.record('add_onboarding', { 'onboarding.created': 1 });
  };
  for (let i = 0; i < count; i++) {
    const operation = DIGITAL99_OPERATIONS[i % DIGITAL99_OPERATIONS.length]!;
    switch (operation) {
      case 'add_onboarding':
        addOnboarding();
        break;
      case 'finish_onboarding': {
        const link = pending.pop();
        if (link === undefined) {
          addOnboarding();
          break;
        }
        const item = world.finishOnboarding(link);
        touched.add(`n:${item.whatsapp}`);
        // A coexistence onboarding's temporary number is swapped for the real one as it finishes.
        round.record(item.coexistence ? 'finish_coexistence' : 'finish_onboarding', {
          'onboarding.completed': 1,
          'onboarding.number_swapped': item.coexistence ? 1 : 0,
          'number.added': 1,
        });
        break;
      }
      case 'delete_onboarding': {
        const link = pending.pop();
        if (link === undefined) {
          addOnboarding();
          break;
        }
        world.deleteOnboarding(link);
        round.record(operation, { 'onboarding.removed': 1 });
        break;
      }
      default: {
        const number = pickNumber(numbers, (item) => world.numbers.has(item.whatsapp));
        if (!number) break;
        if (operation === 'remove_number') {
          world.removeNumber(number.whatsapp);
          round.record(operation, { 'number.removed': 1 });
        } else if (operation === 'rotate_api_key') {
          world.rotateApiKey(number.whatsapp);
          round.record(operation, { 'number.api_key_rotated': 1 });
        } else if (operation === 'rename_number') {
          world.updateNumber(number.whatsapp, { display_name: `${number.display_name} (renamed ${seed})` });
          round.record(operation, { 'number.changed': 1 });
        } else {
          // Conversations: this month's counters move; kept as history, never an event.
          world.addTraffic(number.whatsapp, { marketing: 1, service: rng.int(0, 2), incoming: rng.int(0, 2) });
          round.record(operation, {});
        }
      }
    }
  }
  return round.done();
}

// ---- 360dialog ----

const DIALOG360_OPERATIONS = [
  'add_channel',
  'add_client_with_channel',
  'remove_channel',
  'status',
  'quality',
  'limit',
  'availability',
  'rename_client',
  'rename_phone',
] as const;
const CHANNEL_STATUS = ['ready', 'running', 'created', 'pending'];
const CHANNEL_QUALITY = ['High', 'Medium', 'Low'];
const CHANNEL_TIERS = ['TIER_250', 'TIER_1K', 'TIER_10K', 'TIER_100K', 'TIER_UNLIMITED'];
const AVAILABILITY: SimChannel['availability_status'][] = ['setting_up', 'ready', 'error'];

export function dialog360Churn(world: Dialog360World, share: number, seed: number): ChurnRound {
  const rng = createRng(seed);
  const round = new RoundBuilder();
  const touched = new Set<string>();
  const pickChannel = picker<SimChannel>(rng, touched, (item) => item.id);
  const pickClient = picker<SimClient>(rng, touched, (item) => `client:${item.id}`);
  const channels = [...world.channels.values()];
  const clients = [...world.clients.values()];
  const count = operationCount(world.channels.size, share, DIALOG360_OPERATIONS.length);
  for (let i = 0; i < count; i++) {
    const operation = DIALOG360_OPERATIONS[i % DIALOG360_OPERATIONS.length]!;
    if (operation === 'add_channel') {
      const client = pickClient(clients, (item) => world.clients.has(item.id));
      if (!client) continue;
      touched.add(world.addChannel({ client_id: client.id }).id);
      round.record(operation, { 'channel.added': 1 });
      continue;
    }
    if (operation === 'add_client_with_channel') {
      const channel = world.addChannel();
      touched.add(channel.id);
      touched.add(`client:${channel.client_id}`);
      round.record(operation, { 'client.added': 1, 'channel.added': 1 });
      continue;
    }
    if (operation === 'rename_client') {
      const client = pickClient(clients, (item) => world.clients.has(item.id));
      if (!client) continue;
      world.updateClient(client.id, { name: `${client.name} (renamed ${seed})` });
      round.record(operation, { 'client.changed': 1 });
      continue;
    }
    const channel = pickChannel(channels, (item) => world.channels.has(item.id));
    if (!channel) continue;
    switch (operation) {
      case 'remove_channel':
        world.removeChannel(channel.id);
        round.record(operation, { 'channel.removed': 1 });
        break;
      case 'status':
        world.setStatus(channel.id, other(rng, CHANNEL_STATUS, channel.status));
        round.record(operation, { 'channel.status_changed': 1 });
        break;
      case 'quality':
        world.setQuality(channel.id, other(rng, CHANNEL_QUALITY, channel.current_quality_rating));
        round.record(operation, { 'channel.quality_changed': 1 });
        break;
      case 'limit':
        world.setLimit(channel.id, other(rng, CHANNEL_TIERS, channel.current_limit));
        round.record(operation, { 'channel.limit_changed': 1 });
        break;
      case 'availability':
        world.setAvailability(channel.id, other(rng, AVAILABILITY, channel.availability_status));
        round.record(operation, { 'channel.availability_changed': 1 });
        break;
      case 'rename_phone':
        world.updateChannel(channel.id, { setup_info: { ...channel.setup_info, phone_name: `${channel.setup_info.phone_name} (renamed ${seed})` } });
        round.record(operation, { 'channel.changed': 1 });
        break;
    }
  }
  return round.done();
}

/** Differences between expected and emitted event counts, e.g. ["waba.shared: expected 5, emitted 4"]. */
export function eventMismatches(expected: EventCounts, emitted: EventCounts): string[] {
  const types = [...new Set([...Object.keys(expected), ...Object.keys(emitted)])].sort();
  return types
    .filter((type) => (expected[type] ?? 0) !== (emitted[type] ?? 0))
    .map((type) => `${type}: expected ${expected[type] ?? 0}, emitted ${emitted[type] ?? 0}`);
}

export function sumCounts(counts: EventCounts): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}
