import { afterEach, describe, expect, it } from 'vitest';
import got from 'got';
import { MetaWorld } from '../../src/simulator/meta.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/server.js';

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function graph(world: MetaWorld, path: string, params: Record<string, string> = {}, token = world.accessToken) {
  sim ??= await startSimulator({ '/meta': world.handler });
  const response = await got(`${sim.urlOf('/meta')}/v25.0/${path}`, {
    searchParams: params,
    headers: { authorization: `Bearer ${token}` },
    throwHttpErrors: false,
    retry: { limit: 0 },
  });
  return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, any>, headers: response.headers };
}

describe('Graph simulator', () => {
  it('answers a single WABA with the fields asked, and refuses unknown fields and wrong tokens like Graph', async () => {
    const world = new MetaWorld();
    const waba = world.shareWaba({ name: 'Acme', account_review_status: 'APPROVED' });
    expect((await graph(world, waba.id, { fields: 'account_review_status' })).body).toEqual({ id: waba.id, account_review_status: 'APPROVED' });
    expect((await graph(world, waba.id)).body).toEqual({
      id: waba.id,
      name: 'Acme',
      currency: 'USD',
      timezone_id: '1',
      message_template_namespace: waba.message_template_namespace,
    });
    const unknown = await graph(world, waba.id, { fields: 'nope' });
    expect(unknown).toMatchObject({ status: 400, body: { error: { code: 100, message: '(#100) Tried accessing nonexisting field (nope) on node type (WhatsAppBusinessAccount)' } } });
    const wrong = await graph(world, waba.id, {}, 'EAAwrong');
    expect(wrong).toMatchObject({ status: 400, body: { error: { code: 190, type: 'OAuthException' } } });
    expect(world.calls.waba).toBe(4);
  });

  it('pages with absolute next URLs, filters and sorts by creation_time, and reports usage', async () => {
    const world = new MetaWorld();
    const wabas = [30, 10, 20, 40, 50].map((t) => world.shareWaba({ creation_time: 1_700_000_000 + t }));
    const path = `${world.businessId}/client_whatsapp_business_accounts`;
    const first = await graph(world, path, {
      fields: 'id,creation_time',
      limit: '2',
      sort: 'creation_time_ascending',
      filtering: JSON.stringify([{ field: 'creation_time', operator: 'IN_RANGE', value: ['1700000020', '1700000050'] }]),
    });
    expect(first.body.data.map((w: { creation_time: number }) => w.creation_time - 1_700_000_000)).toEqual([20, 30]);
    expect(first.body.paging.next).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/meta/v25\\.0/${path}\\?`));
    const next = await got(first.body.paging.next, { headers: { authorization: `Bearer ${world.accessToken}` } }).json<Record<string, any>>();
    expect(next.data.map((w: { creation_time: number }) => w.creation_time - 1_700_000_000)).toEqual([40, 50]);
    expect(next.paging.next).toBeUndefined();
    expect(JSON.parse(String(first.headers['x-app-usage']))).toMatchObject({ call_count: 1 });

    const newest = await graph(world, path, { fields: 'id', limit: '1', sort: 'creation_time_descending', filtering: JSON.stringify([{ field: 'creation_time', operator: 'LESS_THAN', value: '1700000050' }]) });
    expect(newest.body.data).toEqual([{ id: wabas[3]!.id }]);
  });

  it('expands phone_numbers.limit(N){…} on the list edge, with absolute next URLs of /{waba}/phone_numbers', async () => {
    const world = new MetaWorld();
    const many = world.shareWaba({ creation_time: 1_700_000_001 });
    const none = world.shareWaba({ creation_time: 1_700_000_002 });
    const phones = [0, 1, 2].map(() => world.addPhoneNumber(many.id));
    const path = `${world.businessId}/client_whatsapp_business_accounts`;
    const list = await graph(world, path, { fields: 'id,phone_numbers.limit(2){id,status,throughput}', sort: 'creation_time_ascending' });

    expect(list.status).toBe(200);
    const [first, second] = list.body.data;
    expect(second).toEqual({ id: none.id }); // an empty edge is left out, as Graph does
    expect(first.phone_numbers.data).toEqual(phones.slice(0, 2).map((p) => ({ id: p.id, status: 'CONNECTED', throughput: { level: 'STANDARD' } })));
    const next = String(first.phone_numbers.paging.next);
    expect(next).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/meta/v25\\.0/${many.id}/phone_numbers\\?`));
    expect(world.calls.phone_numbers).toBe(0);

    const rest = await got(next, { headers: { authorization: `Bearer ${world.accessToken}` } }).json<Record<string, any>>();
    expect(rest.data).toEqual([{ id: phones[2]!.id, status: 'CONNECTED', throughput: { level: 'STANDARD' } }]);
    expect(rest.paging.next).toBeUndefined();
    expect(world.phoneNumberCalls).toEqual(new Map([[many.id, 1]]));

    const bad = await graph(world, path, { fields: 'id,phone_numbers.limit(2){id,nope}' });
    expect(bad.body.error).toMatchObject({ code: 100, message: '(#100) Tried accessing nonexisting field (nope) on node type (WhatsAppBusinessPhoneNumber)' });
    const syntax = await graph(world, path, { fields: 'id,phone_numbers.limit(2){id' });
    expect(syntax.body.error).toMatchObject({ code: 100 });
  });

  it('debug_token lists the granted WABAs newest first', async () => {
    const world = new MetaWorld();
    const token = world.issueSignupToken(['2', '1']);
    const answer = await graph(world, 'debug_token', { input_token: token });
    expect(answer.body.data).toMatchObject({ is_valid: true, granular_scopes: [{ scope: 'whatsapp_business_management', target_ids: ['2', '1'] }, { scope: 'whatsapp_business_messaging' }] });
  });
});
