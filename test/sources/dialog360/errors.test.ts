import { describe, expect, it } from 'vitest';
import { listEvents } from '../../../src/events/query.js';
import { seedDialog360 } from '../../../src/simulator/dialog360.js';
import { dialog360Harness } from '../../helpers/dialog360.js';

describe('360dialog: upstream errors', () => {
  it('waits as long as Retry-After says on 429, then completes', async () => {
    // Retries back off 5 ms, then 10 ms: only honouring Retry-After (0.3 s) gets through.
    const h = await dialog360Harness({ env: { HTTP_RETRIES: '2', HTTP_RETRY_BASE_MS: '5' } });
    seedDialog360(h.world, { clients: 2, channels: 25 });
    h.world.inject({ list: 'channels', kind: 'throttle', retryAfterSeconds: 0.3 });

    const result = await h.sync();

    expect(result.outcome).toBe('complete');
    expect(h.world.earlyRequests).toBe(0);
    expect(await h.storedKeys('channel')).toHaveLength(25);
    expect(result.apiCalls).toBe(h.world.pageRequests.length + 1); // the refused attempt is counted too
  });

  it('fails as throttled when 429 outlasts the retries, and changes nothing', async () => {
    const h = await dialog360Harness({ env: { HTTP_RETRIES: '1', HTTP_RETRY_BASE_MS: '5' } });
    seedDialog360(h.world, { clients: 2, channels: 5 });
    await h.sync();
    h.world.inject({ list: 'clients', kind: 'throttle', retryAfterSeconds: 0.01, times: 5 });

    const result = await h.sync();

    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'THROTTLED', events: 0 });
    expect(h.world.calls.clients).toBe(1 + 2); // the baseline's page, then one try and one retry
  });

  it('retries a 5xx and completes', async () => {
    const h = await dialog360Harness();
    seedDialog360(h.world, { clients: 2, channels: 25 });
    h.world.inject({ list: 'channels', kind: 'http', status: 503 });

    expect(await h.sync()).toMatchObject({ outcome: 'complete', baseline: true });
  });

  it('fails as unavailable when 5xx persists, and nothing looks removed', async () => {
    const h = await dialog360Harness({ env: { HTTP_RETRIES: '2' } });
    seedDialog360(h.world, { clients: 2, channels: 25 });
    await h.sync();
    h.world.inject({ list: 'channels', kind: 'http', status: 502, times: 100 });

    const result = await h.sync();

    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'UNAVAILABLE', events: 0 });
    expect(result.error).toBe('dialog360 listChannels: HTTP 502 (after retries)');
    expect(await h.storedKeys('channel')).toHaveLength(25);
  });

  it('rejects a wrong API key at once, naming the setting and never the key', async () => {
    const h = await dialog360Harness({ env: { DIALOG360_API_KEY: 'not-the-partner-key' } });
    seedDialog360(h.world, { clients: 2, channels: 3 });

    const result = await h.sync();

    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'AUTH', events: 0 });
    // Both lists are read side by side: the first refusal stops the other and is the one reported.
    expect(result.error).toMatch(/^dialog360 list(Clients|Channels): the partner API key was rejected \(HTTP 401\): check DIALOG360_API_KEY$/);
    expect(h.world.calls.clients ?? 0).toBeLessThanOrEqual(1); // no retries
    expect(h.world.calls.channels ?? 0).toBeLessThanOrEqual(1);
    expect(h.logs.text()).not.toContain('not-the-partner-key');
  });

  it('names the partner id when the key may not read that partner', async () => {
    const h = await dialog360Harness({ env: { DIALOG360_PARTNER_ID: 'someoneElse' } });

    const result = await h.sync();

    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'PERMISSION' });
    expect(result.error).toBe(
      'dialog360 listClients: the partner API key may not read partner "someoneElse" (HTTP 403): check DIALOG360_API_KEY and DIALOG360_PARTNER_ID',
    );
    expect(h.world.calls.clients).toBe(1);
  });

  it('passes on the upstream reason for a refused request and names the setting', async () => {
    const h = await dialog360Harness();
    h.world.inject({ list: 'clients', kind: 'http', status: 400, detail: 'sort: "colour" is not a sortable field' });

    const result = await h.sync();

    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'UPSTREAM' });
    expect(result.error).toBe(
      'dialog360 listClients: request refused as wrong payload (HTTP 400: sort: "colour" is not a sortable field): check DIALOG360_SORT and DIALOG360_PAGE_SIZE',
    );
  });
});

describe('360dialog: payloads that cannot be read', () => {
  const cases: [string, Parameters<import('../../../src/simulator/dialog360.js').Dialog360World['inject']>[0], string][] = [
    ['total missing', { list: 'channels', kind: 'envelope', field: 'total' }, 'dialog360 listChannels: field total: missing (offset 0)'],
    ['the list missing', { list: 'channels', kind: 'envelope', field: 'partner_channels' }, 'dialog360 listChannels: field partner_channels: missing (offset 0)'],
    ['the client list missing', { list: 'clients', kind: 'envelope', field: 'clients' }, 'dialog360 listClients: field clients: missing (offset 0)'],
    ['total not a number', { list: 'channels', kind: 'envelope', field: 'total', value: 'many' }, 'dialog360 listChannels: field total: Invalid input: expected number, received string (offset 0)'],
    ['count not matching the rows', { list: 'channels', kind: 'envelope', field: 'count', value: 7 }, 'dialog360 listChannels: field count: 7, but partner_channels has 4 rows (offset 0)'],
    ['an offset other than asked', { list: 'channels', kind: 'envelope', field: 'offset', value: 3 }, 'dialog360 listChannels: field offset: asked for 0, answered 3'],
    ['a body that is not JSON', { list: 'channels', kind: 'malformed' }, 'dialog360 listChannels: response is not valid JSON'],
    ['a channel without status', { list: 'channels', kind: 'corrupt', index: 2, field: 'status', value: null }, 'field status'],
    // biome-ignore lint/correctness/noPrecisionLoss: the test feeds an id that lost its digits in JSON.
    ['a channel id that lost digits', { list: 'channels', kind: 'corrupt', index: 0, field: 'id', value: 12345678901234567890 }, 'partner_channels[0] (id "12345678901234567000") field id: expected a string id (a number this large loses digits)'],
  ];

  it.each(cases)('%s: fails the pull naming the field, and emits nothing', async (_name, fault, message) => {
    const h = await dialog360Harness();
    seedDialog360(h.world, { clients: 2, channels: 5 });
    await h.sync();
    h.world.removeChannel([...h.world.channels.keys()][0]!);
    h.world.inject(fault);

    const result = await h.sync();

    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'PAYLOAD', events: 0 });
    expect(result.error).toContain(message);
    expect((await listEvents(h.app.db)).filter((e) => e.run_id === result.runId)).toEqual([]);
    expect(await h.storedKeys('channel')).toHaveLength(5);
  });

  it('names the row and the field of a bad channel', async () => {
    const h = await dialog360Harness();
    seedDialog360(h.world, { clients: 1, channels: 15 });
    // The second page is corrupted: read newest first, that is the oldest five (offset 0), so row 3 of it is row 3 of the list.
    let pages = 0;
    h.world.onPageRequest((request) => {
      if (request.list === 'channels' && ++pages === 1) h.world.inject({ list: 'channels', kind: 'corrupt', index: 3, field: 'status', value: '' });
    });
    const victim = [...h.world.channels.values()].sort((a, b) => (a.created_at < b.created_at ? -1 : 1))[3]!;

    const result = await h.sync();

    expect(result.error).toBe(`dialog360 listChannels: partner_channels[3] (id "${victim.id}") field status: expected a non-empty status`);
  });
});
