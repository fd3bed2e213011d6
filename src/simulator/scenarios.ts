/**
 * Scripted worlds for the demo: a starting fleet and "a day of changes" per upstream.
 * Each `day` returns what it did, in words, so the demo can print it beside the events.
 */
import { Dialog360World } from './dialog360.js';
import { Digital99World } from './digital99.js';
import { MetaWorld } from './meta.js';
import { type RunningSimulator, startSimulator } from './server.js';

export interface ScenarioUpstreams {
  readonly digital99: Digital99Scenario;
  readonly dialog360: Dialog360Scenario;
  readonly meta: MetaScenario;
  readonly simulator: RunningSimulator;
  /** The settings that point the app at the three fakes (every source enabled). */
  readonly env: Record<string, string>;
}

/** The three scenarios on one loopback simulator (the demo, the console's tests). */
export async function startScenarioUpstreams(now: () => Date): Promise<ScenarioUpstreams> {
  const digital99 = digital99Scenario(now);
  const dialog360 = dialog360Scenario(now);
  const meta = metaScenario(now);
  const simulator = await startSimulator({
    '/99digital/api': digital99.world.handler,
    '/360dialog/api/v2': dialog360.world.handler,
    '/meta': meta.world.handler,
  });
  const env = {
    DIGITAL99_API_URL: simulator.urlOf('/99digital/api'),
    DIGITAL99_CLIENT_ID: digital99.world.clientId,
    DIGITAL99_CLIENT_SECRET: digital99.world.clientSecret,
    DIALOG360_API_URL: simulator.urlOf('/360dialog/api/v2'),
    DIALOG360_API_KEY: dialog360.world.apiKey,
    DIALOG360_PARTNER_ID: dialog360.world.partnerId,
    META_GRAPH_URL: simulator.urlOf('/meta'),
    META_ACCESS_TOKEN: meta.world.accessToken,
    META_BUSINESS_ID: meta.world.businessId,
  };
  return { digital99, dialog360, meta, simulator, env };
}

export interface Digital99Scenario {
  world: Digital99World;
  day(): string[];
}

export function digital99Scenario(now: () => Date): Digital99Scenario {
  const world = new Digital99World({ now, seed: 7 });
  const acme = world.addOnboarding({ business_name: 'Acme inc', display_name: 'Acme', reference: '123123' });
  world.finishOnboarding(acme.onboarding_link);
  world.addTraffic(acme.whatsapp, { marketing: 3, service: 3 });
  const pizza = world.addOnboarding({ business_name: 'Pizza Hut Haifa', display_name: 'Pizza Hut - support' });
  world.finishOnboarding(pizza.onboarding_link);
  const bakery = world.addOnboarding({ business_name: 'Bakery Levi', display_name: 'Levi Bakery', coexistence: 1, reference: 'crm-88' });
  const florist = world.addOnboarding({ business_name: 'Florist Cohen', display_name: 'Cohen Flowers' });
  const garage = world.addOnboarding({ business_name: 'Garage Mizrahi', display_name: 'Mizrahi Garage' });

  return {
    world,
    day: () => {
      const temporary = bakery.whatsapp;
      const swapped = world.finishOnboarding(bakery.onboarding_link, { realNumber: '972541112233' });
      world.finishOnboarding(florist.onboarding_link);
      world.deleteOnboarding(garage.onboarding_link);
      const dental = world.addOnboarding({ business_name: 'Dental Clinic Ashdod', display_name: 'Smile Ashdod', coexistence: 1 });
      world.rotateApiKey(acme.whatsapp);
      world.updateNumber(pizza.whatsapp, { isOnline: 0, onlineInbox: 0 });
      world.addTraffic(acme.whatsapp, { marketing: 10, service: 4, incoming: 2 });
      return [
        `Bakery Levi finished its coexistence onboarding: ${temporary} → ${swapped.whatsapp}`,
        'Florist Cohen finished its onboarding',
        'the unfinished Garage Mizrahi onboarding was deleted',
        `Dental Clinic Ashdod got a coexistence onboarding link (temporary ${dental.whatsapp})`,
        "Acme's apiKey was rotated and it had 16 more conversations (history, not an event)",
        'Pizza Hut left the omnichannel inbox (isOnline 1 → 0)',
      ];
    },
  };
}

export interface Dialog360Scenario {
  world: Dialog360World;
  day(): string[];
}

/** A small 360dialog partner: five clients, six channels; a day of quality, tier and status moves. */
export function dialog360Scenario(now: () => Date): Dialog360Scenario {
  const world = new Dialog360World({ now, seed: 11 });
  const channel = (clientId: string, phoneName: string, phoneNumber: string, fields: Parameters<Dialog360World['addChannel']>[0] = {}) =>
    world.addChannel({ client_id: clientId, setup_info: { phone_number: phoneNumber, phone_name: phoneName }, ...fields });
  const acme = world.addClient({ name: 'Acme GmbH' });
  const acmeSupport = channel(acme.id, 'Acme Support', '4915112345001');
  const acmeSales = channel(acme.id, 'Acme Sales', '4915112345002', { current_limit: 'TIER_1K' });
  const roma = world.addClient({ name: 'Pizza Roma' });
  const romaOrders = channel(roma.id, 'Pizza Roma Orders', '4930123456003', { current_quality_rating: 'Medium' });
  const blumen = world.addClient({ name: 'Blumen Schmidt' });
  const blumenShop = channel(blumen.id, 'Blumen Schmidt', '4989123456004', { status: 'created', availability_status: 'setting_up', hub_status: 'draft', current_quality_rating: 'NA', current_limit: 'TIER_250' });
  const oldShop = world.addClient({ name: 'Old Shop' });
  const oldShopChannel = channel(oldShop.id, 'Old Shop', '4940123456005');
  const wien = world.addClient({ name: 'Kaffeehaus Wien' });
  channel(wien.id, 'Kaffeehaus Wien', '4312345678006');

  return {
    world,
    day: () => {
      world.setStatus(blumenShop.id, 'ready');
      world.setAvailability(blumenShop.id, 'ready');
      world.setQuality(acmeSupport.id, 'Low');
      world.setLimit(acmeSales.id, 'TIER_10K');
      world.setAvailability(romaOrders.id, 'error');
      world.removeChannel(oldShopChannel.id);
      const cafe = world.addClient({ name: 'Café Central' });
      const cafeChannel = channel(cafe.id, 'Café Central', '4369912345007', { status: 'created', availability_status: 'setting_up', hub_status: 'draft' });
      world.updateChannel(acmeSales.id, { setup_info: { ...acmeSales.setup_info, phone_name: 'Acme Sales & Service' } });
      return [
        `Blumen Schmidt's channel ${blumenShop.id} finished onboarding (status created → ready, availability setting_up → ready)`,
        `Acme Support's quality rating dropped (High → Low)`,
        `Acme Sales moved up a messaging tier (TIER_1K → TIER_10K) and was renamed`,
        `Pizza Roma's channel became unavailable (availability ready → error)`,
        `Old Shop's channel ${oldShopChannel.id} was removed`,
        `a new client, Café Central, started onboarding channel ${cafeChannel.id}`,
      ];
    },
  };
}

export interface MetaScenario {
  world: MetaWorld;
  day(): string[];
}

/** A partner's Meta fleet: client WABAs with numbers, one owned test WABA, then a day of changes. */
export function metaScenario(now: () => Date): MetaScenario {
  const world = new MetaWorld({ now, seed: 11 });
  const days = (n: number) => Math.floor(now().getTime() / 1000) - n * 86_400;
  const acme = world.shareWaba({ name: 'Acme Support', creation_time: days(400), account_review_status: 'APPROVED' });
  world.addPhoneNumber(acme.id, { verified_name: 'Acme', display_phone_number: '+1 555-010-0001' });
  const pizza = world.shareWaba({ name: 'Pizza Hut Haifa', creation_time: days(90), account_review_status: 'APPROVED' });
  const pizzaPhone = world.addPhoneNumber(pizza.id, { verified_name: 'Pizza Hut', display_phone_number: '+972 4-555-0102' });
  const bakery = world.shareWaba({ name: 'Bakery Levi', creation_time: days(2), account_review_status: 'PENDING' });
  world.addPhoneNumber(bakery.id, { verified_name: 'Levi Bakery', display_phone_number: '+972 3-555-0103' });
  const garage = world.shareWaba({ name: 'Garage Mizrahi', creation_time: days(30), account_review_status: 'APPROVED' });
  world.addPhoneNumber(garage.id, { verified_name: 'Mizrahi Garage' });
  world.addOwnedWaba({ name: 'Partner test account', creation_time: days(700), account_review_status: 'APPROVED' });

  return {
    world,
    day: () => {
      const dental = world.shareWaba({ name: 'Dental Clinic Ashdod', account_review_status: 'PENDING' });
      world.addPhoneNumber(dental.id, { verified_name: 'Smile Ashdod', display_phone_number: '+972 8-555-0104' });
      const florist = world.shareWaba({ name: 'Florist Cohen', creation_time: days(5 * 365), account_review_status: 'APPROVED' });
      world.unshareWaba(garage.id);
      world.setReviewStatus(bakery.id, 'APPROVED');
      world.updatePhoneNumber(pizzaPhone.id, { quality_rating: 'YELLOW' });
      return [
        'Dental Clinic Ashdod shared a new WABA through Embedded Signup',
        `Florist Cohen shared a WABA created ${new Date(florist.creation_time * 1000).getUTCFullYear()} (an incremental pull can't see it; the full pull does)`,
        'Garage Mizrahi unshared its WABA (its number leaves with it)',
        "Meta approved Bakery Levi's WABA (review PENDING → APPROVED)",
        "Pizza Hut's number dropped to quality YELLOW",
      ];
    },
  };
}
