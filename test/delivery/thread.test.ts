import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { type Dispatcher, createDispatcher } from '../../src/delivery/dispatcher.js';
import { startDispatcherThread } from '../../src/delivery/thread.js';
import { SecretScrubber } from '../../src/secrets.js';
import { SECRET_A, deliveryHarness } from '../helpers/delivery.js';
import { startReceiver } from '../helpers/receiver.js';
import { until } from '../helpers/wait.js';

describe('the delivery thread', () => {
  it('a thread that cannot start leaves one dispatcher, the daemon’s own, and nothing is delivered once it stops', async () => {
    const receiver = await startReceiver();
    const h = await deliveryHarness({ EVENT_WEBHOOK_CRM_URL: receiver.url, EVENT_WEBHOOK_CRM_SECRET: SECRET_A });
    let created = 0;
    const inProcess = (): Dispatcher => {
      created += 1;
      return createDispatcher({ db: h.db, clock: systemClock, log: h.logs.log, config: h.config, scrubber: new SecretScrubber() }, { pollMs: 50 });
    };
    // As the daemon starts delivery (src/daemon/runtime.ts), with a thread whose database can't be opened.
    let dispatcher: Dispatcher;
    try {
      dispatcher = await startDispatcherThread({ start: { config: { ...h.config, databasePath: '/etc/hostname/db.sqlite' }, holder: 'test', pollMs: 50 }, log: h.logs.log, fallback: inProcess });
    } catch {
      dispatcher = inProcess();
    }
    expect(created).toBe(1);
    await h.writeEvents([{ type: 'waba.shared', key: 'before-stop' }]);
    await until(() => receiver.received.length > 0, 'the delivery before the stop');
    await dispatcher.stop();
    await h.writeEvents([{ type: 'waba.shared', key: 'after-stop' }]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received.map((request) => JSON.parse(request.body).key)).toEqual(['before-stop']);
  });
});
