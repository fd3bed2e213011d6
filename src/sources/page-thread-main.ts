/**
 * The page thread (started by page-thread.ts): reads the pages it is sent with PAGE_TASKS and
 * answers each with the result or the error (and, before either, what the task told `early`). A PayloadError comes back as its parts, so the
 * caller throws the same error the page would have thrown on its own thread; anything else as
 * its message.
 */
import { parentPort } from 'node:worker_threads';
import { PayloadError } from '../errors.js';
import { PAGE_TASKS, type PageTask } from './page-tasks.js';
import type { PageThreadReply, PageThreadRequest } from './page-thread.js';

const port = parentPort!;

port.on('message', (request: PageThreadRequest) => {
  const started = performance.now();
  let reply: PageThreadReply;
  try {
    const early = (value: unknown) => port.postMessage({ id: request.id, early: true, value } satisfies PageThreadReply);
    const value = PAGE_TASKS[request.task as PageTask](request.text, request.params as never, early as never);
    reply = { id: request.id, ok: true, value, ms: performance.now() - started };
  } catch (error) {
    if (error instanceof PayloadError) {
      reply = { id: request.id, ok: false, payload: { source: error.source, call: error.call, detail: error.message.slice(`${error.source} ${error.call}: `.length) }, ms: performance.now() - started };
    } else {
      reply = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error), ms: performance.now() - started };
    }
  }
  port.postMessage(reply);
});
