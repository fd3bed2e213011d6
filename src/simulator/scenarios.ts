/**
 * Scripted worlds for the demo: a starting fleet and "a day of changes" per upstream.
 * Each `day` returns what it did, in words, so the demo can print it beside the events.
 */
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
