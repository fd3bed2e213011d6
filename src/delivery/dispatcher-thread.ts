/**
 * The dispatcher's own thread (started by thread.ts): the same dispatcher as in-process, on its
 * own event loop and its own database connection, so a burst of events leaves while the pulls
 * parse and store their pages on the main thread. What the main thread must see comes back as
 * messages: log lines (re-logged there, under its level and redaction), metrics, replies.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../db/database.js';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { createLogger } from '../log.js';
import { SecretScrubber, configuredSecrets } from '../secrets.js';
import { createDispatcher } from './dispatcher.js';
import type { ThreadReply, ThreadRequest, ThreadStart } from './thread-protocol.js';

const port = parentPort!;
const post = (reply: ThreadReply) => port.postMessage(reply);
const start = workerData as ThreadStart;
const config = start.config as Config;

const log = createLogger({ level: config.logLevel, destination: { write: (line: string) => post({ kind: 'log', line }) } });
// PostgreSQL: a few connections are plenty for the lanes and the fan-out (the daemon keeps its ten).
const db = await openDatabase(config.databasePath, { busyTimeoutMs: config.databaseBusyTimeoutMs, migrate: false, poolSize: 4 });
const dispatcher = createDispatcher(
  {
    db,
    clock: systemClock,
    log,
    config,
    scrubber: new SecretScrubber(configuredSecrets(config)),
    holder: start.holder,
    metrics: {
      delivered: (subscription, lagSeconds) => post({ kind: 'metric', metric: 'delivered', subscription, lagSeconds }),
      attemptFailed: (subscription) => post({ kind: 'metric', metric: 'attemptFailed', subscription }),
      failed: (subscription) => post({ kind: 'metric', metric: 'failed', subscription }),
    },
  },
  { pollMs: start.pollMs },
);

port.on('message', (request: ThreadRequest) => {
  if (request.op === 'wake') return dispatcher.wake();
  if (request.op === 'runOnce') {
    dispatcher.runOnce().then(
      (value) => post({ kind: 'reply', id: request.id, value }),
      (error: unknown) => post({ kind: 'reply', id: request.id, error: String((error as Error)?.message ?? error) }),
    );
    return;
  }
  void (async () => {
    await dispatcher.stop();
    await db.destroy();
    post({ kind: 'stopped' });
    port.close();
  })();
});
post({ kind: 'ready' });
