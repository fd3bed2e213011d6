import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { parseConfig } from '../../src/config.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { type ObservabilityServer, startObservabilityServer } from '../../src/observability/server.js';
import { tempDbPath } from '../helpers/temp.js';

const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closing.length > 0) await closing.pop()!();
});

async function server(host: string): Promise<ObservabilityServer> {
  const db = await openDatabase(tempDbPath());
  const started = await startObservabilityServer(
    { host, port: 0 },
    {
      metrics: createMetrics(db, () => []),
      health: async () => ({ ok: true, checkedAt: '2026-01-01T00:00:00.000Z', maxAgeSeconds: 1, maxFullAgeSeconds: 1, sources: [], stale: [] }),
      onError: () => undefined,
    },
  );
  closing.push(async () => {
    await started.close();
    await db.destroy();
  });
  return started;
}

/** Sends a raw request and resolves with the status line, or with what happened instead. */
function rawRequest(host: string, port: number, target: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    let received = '';
    socket.on('connect', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    socket.on('data', (chunk) => {
      received += String(chunk);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    socket.on('close', () => resolve(received.split('\r\n')[0] ?? ''));
  });
}

describe('the health server', () => {
  it('answers a request for "//" (and other odd paths) and keeps serving', async () => {
    const { port } = await server('127.0.0.1');
    expect(await rawRequest('127.0.0.1', port, '//')).toBe('HTTP/1.1 404 Not Found');
    expect(await rawRequest('127.0.0.1', port, '//evil.example/healthz')).toBe('HTTP/1.1 404 Not Found');
    expect(await rawRequest('127.0.0.1', port, '*')).toBe('HTTP/1.1 400 Bad Request');
    expect(await rawRequest('127.0.0.1', port, '/healthz')).toBe('HTTP/1.1 200 OK');
  });

  it('listens on HTTP_HOST, by default 127.0.0.1 only', async () => {
    const config = parseConfig({});
    expect(config.httpHost).toBe('127.0.0.1');
    const { port } = await server(config.httpHost);
    expect(await rawRequest('127.0.0.1', port, '/healthz')).toBe('HTTP/1.1 200 OK');
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal);
    if (outside) expect(await rawRequest(outside.address, port, '/healthz')).toBe('ECONNREFUSED');
    expect(parseConfig({ HTTP_HOST: '0.0.0.0' }).httpHost).toBe('0.0.0.0');
  });
});
