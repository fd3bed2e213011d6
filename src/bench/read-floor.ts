/**
 * The read floor of a pull: the requests it sent, sent again with plain `node:http` over a
 * keep-alive agent, `concurrency` in flight, each answer read whole and `JSON.parse`d — nothing
 * else. It is a lower bound: the requests go out as one flat list, so a page never waits for the
 * cursor of the page before it, as the pull's own cursor chains must.
 */
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { SourceName } from '../config.js';
import type { ReadFloorReply, RecordedRequest } from './protocol.js';

export async function replayRequests(source: SourceName, requests: readonly RecordedRequest[], concurrency: number): Promise<ReadFloorReply> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  let bytes = 0;
  const lane = async () => {
    while (next < requests.length) {
      const recorded = requests[next++]!;
      const body = await send(agent, recorded);
      bytes += body.length;
      try {
        JSON.parse(body.toString('utf8'));
      } catch {
        throw new Error(`read floor: ${source} ${describe(recorded)} answered a body that is not JSON`);
      }
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, requests.length)) }, lane));
    return { ms: performance.now() - started, requests: requests.length, bytes };
  } finally {
    agent.destroy();
  }

  function send(via: Agent, recorded: RecordedRequest): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(recorded.url, { method: recorded.method, headers: recorded.headers, agent: via }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          // A replay the fake refuses (an expired token, a cursor it no longer knows) would make the floor meaningless.
          if (status < 200 || status >= 300) reject(new Error(`read floor: ${source} ${describe(recorded)} answered HTTP ${status}`));
          else resolve(Buffer.concat(chunks));
        });
      });
      outgoing.on('error', reject);
      outgoing.end(recorded.body.length > 0 ? recorded.body : undefined);
    });
  }
}

/** Method and path, never the query or body (they may carry credentials). */
function describe(recorded: RecordedRequest): string {
  return `${recorded.method} ${new URL(recorded.url).pathname}`;
}
