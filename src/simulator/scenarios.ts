/**
 * Scripted worlds for the demo: a starting fleet and "a day of changes" per upstream.
 * Each `day` returns what it did, in words, so the demo can print it beside the events.
 */
import { Digital99World } from './digital99.js';
import { MetaWorld } from './meta.js';

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
