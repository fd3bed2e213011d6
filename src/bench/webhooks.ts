/**
 * The benchmark's webhook phase: signed Meta deliveries at a steady rate against the whole fleet,
 * each changing a different WABA — most a review decision (`account_review_update`, one event),
 * one in ten a newly shared WABA with a number (PARTNER_ADDED, two events) — processed by the
 * intake in the sync worker. Measured: from sending a delivery to its event being written (the
 * event's `at`), the Graph calls per delivery, and whether any event is missing or repeated.
 */
import { performance } from 'node:perf_hooks';
import type { MetaWorld } from '../simulator/meta.js';
import { metaSender } from '../simulator/webhooks.js';
import type { EventStamp } from './protocol.js';
import type { SyncWorker } from './worker-client.js';

export const BENCH_APP_SECRET = 'bench-meta-app-secret';

export interface WebhookMeasure {
  readonly deliveries: number;
  readonly ratePerSecond: number;
  /** Delivery sent → its event written (ms), over every delivery that got its event. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Graph requests during the phase (`/{waba}` and further phone-number pages). */
  readonly graphCalls: number;
  readonly callsPerDelivery: number;
  readonly expectedEvents: number;
  readonly events: number;
  /** Expected events that never came, and events written more than once ("type key"). */
  readonly lost: readonly string[];
  readonly repeated: readonly string[];
  /** Deliveries that needed a retry (a non-200 answer). */
  readonly retried: number;
}

export async function benchWebhooks(
  world: MetaWorld,
  worker: SyncWorker,
  options: { deliveries: number; ratePerSecond: number; say: (line: string) => void },
): Promise<WebhookMeasure> {
  const { port } = await worker.request<{ port: number }>({ op: 'startIntake' });
  const sender = metaSender(`http://127.0.0.1:${port}/webhooks/meta`, BENCH_APP_SECRET);
  world.webhooks = sender;
  try {
    const after = await worker.request<number>({ op: 'lastEventId' });
    const callsBefore = world.calls.waba + world.calls.phone_numbers;
    const existing = world.clients.items;
    const deliveries = Math.min(options.deliveries, existing.length);
    const stride = Math.max(1, Math.floor(existing.length / deliveries));
    const sentAt = new Map<string, number>();
    const expected: string[] = [];
    const gapMs = 1000 / options.ratePerSecond;
    const started = performance.now();
    options.say(`4. webhooks: ${deliveries} signed Meta deliveries at ${options.ratePerSecond}/s`);
    for (let i = 0; i < deliveries; i++) {
      const wait = started + i * gapMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (i % 10 === 9) {
        const waba = world.shareWaba();
        const phone = world.addPhoneNumber(waba.id);
        sentAt.set(`waba.shared ${waba.id}`, Date.now());
        sentAt.set(`phone_number.added ${phone.id}`, Date.now());
        expected.push(`waba.shared ${waba.id}`, `phone_number.added ${phone.id}`);
      } else {
        const waba = existing[(i * stride) % existing.length]!;
        world.setReviewStatus(waba.id, waba.account_review_status === 'APPROVED' ? 'REJECTED' : 'APPROVED');
        sentAt.set(`waba.review_status_changed ${waba.id}`, Date.now());
        expected.push(`waba.review_status_changed ${waba.id}`);
      }
    }
    await sender.settled();
    await worker.request({ op: 'intakeSettled' });
    const events = await worker.request<EventStamp[]>({ op: 'eventsAfter', after });
    const seen = new Map<string, EventStamp[]>();
    for (const event of events) {
      const id = `${event.type} ${event.key}`;
      seen.set(id, [...(seen.get(id) ?? []), event]);
    }
    const latencies: number[] = [];
    for (const id of expected) {
      const first = seen.get(id)?.[0];
      if (first) latencies.push(Date.parse(first.at) - sentAt.get(id)!);
    }
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
    const graphCalls = world.calls.waba + world.calls.phone_numbers - callsBefore;
    const measure: WebhookMeasure = {
      deliveries,
      ratePerSecond: options.ratePerSecond,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: latencies.at(-1) ?? Number.NaN,
      graphCalls,
      callsPerDelivery: deliveries === 0 ? 0 : graphCalls / deliveries,
      expectedEvents: expected.length,
      events: events.length,
      lost: expected.filter((id) => !seen.has(id)),
      repeated: [...seen].filter(([, stamps]) => stamps.length > 1).map(([id]) => id),
      retried: sender.deliveries.filter((delivery) => delivery.statuses.length > 1).length,
    };
    options.say(`   p50 ${measure.p50Ms} ms, p99 ${measure.p99Ms} ms, ${measure.callsPerDelivery.toFixed(2)} Graph calls per delivery, ${measure.lost.length} lost, ${measure.repeated.length} repeated`);
    return measure;
  } finally {
    world.webhooks = null;
    await worker.request({ op: 'stopIntake' });
  }
}
