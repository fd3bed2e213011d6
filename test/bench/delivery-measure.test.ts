import { describe, expect, it } from 'vitest';
import { type BenchReceiver, measureDeliveries } from '../../src/bench/delivery.js';

const receiverOf = (received: BenchReceiver['received']): BenchReceiver => ({ url: 'http://127.0.0.1:1/events', received, close: async () => {} });
const at = (ms: number) => new Date(ms).toISOString();

describe('the bench\'s event delivery figures', () => {
  it('counts deliveries per second over the time bursts were leaving, not the pulls between them', () => {
    // One churn run. Burst A (two events committed at 0) arrives 100–300 ms; burst B (committed at 250) 350–450 ms,
    // then nothing for seconds while a long pull runs; burst C (at 10,000) 10,100–10,300 ms.
    const received = [
      { id: 1, at: at(0), receivedAt: 100 },
      { id: 2, at: at(0), receivedAt: 300 },
      { id: 3, at: at(250), receivedAt: 280 },
      { id: 4, at: at(250), receivedAt: 450 },
      { id: 5, at: at(10_000), receivedAt: 10_100 },
      { id: 6, at: at(10_000), receivedAt: 10_300 },
    ];
    const measure = measureDeliveries(receiverOf(received), [[1, 2, 3, 4, 5, 6]]);
    // Flowing: 100–450 (A and B overlap: once) and 10,100–10,300 → 350 + 200 ms for 6 deliveries.
    expect(measure.perSecond).toBe(Math.round((6 / 550) * 1000));
    expect(measure).toMatchObject({ events: 6, delivered: 6, lost: 0, repeated: 0, maxMs: 300 });
  });

  it('counts a repeat once as delivered and once as repeated, and a missing event as lost', () => {
    const received = [
      { id: 1, at: at(0), receivedAt: 10 },
      { id: 1, at: at(0), receivedAt: 20 },
    ];
    expect(measureDeliveries(receiverOf(received), [[1, 2]])).toMatchObject({ events: 2, delivered: 1, lost: 1, repeated: 1 });
  });
});
