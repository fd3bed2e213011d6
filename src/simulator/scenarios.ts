/**
 * Scripted worlds for the demo: a starting fleet and "a day of changes" per upstream.
 * Each `day` returns what it did, in words, so the demo can print it beside the events.
 */
import { Dialog360World } from './dialog360.js';
import { Digital99World } from './digital99.js';

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
