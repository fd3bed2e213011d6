/**
 * The page thread reads a page into exactly what the pull's own thread would (same keys, texts,
 * hashes, same errors), stops when idle, and after a failure leaves its pages to the pull's thread.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from '../../src/diff/canonical.js';
import { PayloadError } from '../../src/errors.js';
import { channelRecord } from '../../src/sources/dialog360/records.js';
import { channel } from '../../src/sources/dialog360/schemas.js';
import { inlinePages } from '../../src/sources/page-tasks.js';
import { PageThread } from '../../src/sources/page-thread.js';
import { preparedEntities } from '../../src/sources/prepared.js';

const threads: PageThread[] = [];
afterEach(async () => {
  while (threads.length > 0) await threads.pop()!.close();
});
const thread = (idleMs?: number) => {
  const made = new PageThread(idleMs);
  threads.push(made);
  return made;
};

const row = (i: number) => ({
  id: `ch-${i}`,
  client_id: i, // a number: read as a string id
  status: 'running',
  created_at: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`,
  current_quality_rating: i % 2 ? 'GREEN' : null,
  modified_at: 'not kept',
  setup_info: { phone_number: `97250000${i}`, phone_name: `Shop "${i}" \u2028 <b>` },
  waba_account: i % 3 ? { id: `w${i}`, external_id: String(1000 + i), fb_account_status: 'APPROVED' } : null,
});
const page = (rows: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ total: 40, count: rows.length, limit: 25, offset: 0, partner_channels: rows, ...extra });
const params = { list: 'channels', call: 'listChannels', offset: 0, status: 200 } as const;

describe('page thread', () => {
  it('reads a 360dialog page into the records, texts and hashes the pull would build itself', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => row(i));
    const read = await thread().read('dialog360.page', page(rows), params);

    expect(read.total).toBe(40);
    expect(read.limit).toBe(25);
    expect(read.rows.keys).toEqual(rows.map((r) => r.id));
    expect(read.createdAt).toEqual(rows.map((r) => r.created_at));
    rows.forEach((raw, index) => {
      const record = channelRecord(channel.parse(raw));
      const text = canonicalJson(record.data);
      expect(preparedEntities(read.rows)[index]).toEqual({ key: raw.id, text, hash: contentHash(text) });
    });
    expect(await inlinePages.read('dialog360.page', page(rows), params)).toEqual(read);
  });

  it('refuses a bad row with the error the pull would throw itself, naming the field', async () => {
    const text = page([row(0), { ...row(1), status: '' }]);
    const inline = await inlinePages.read('dialog360.page', text, params).catch((error: unknown) => error);
    const threaded = await thread().read('dialog360.page', text, params).catch((error: unknown) => error);

    expect(threaded).toBeInstanceOf(PayloadError);
    expect(threaded).toMatchObject({ code: 'PAYLOAD', message: (inline as Error).message });
    expect((threaded as Error).message).toMatch(/^dialog360 listChannels: partner_channels\[1\] \(id "ch-1"\) field status: expected a non-empty status$/);
  });

  it('says which page is not JSON', async () => {
    await expect(thread().read('dialog360.page', '<html>', { ...params, offset: 50 })).rejects.toThrow('dialog360 listChannels: response is not valid JSON (HTTP 200, 6 bytes)');
  });

  it('stops once idle and starts again for the next page', async () => {
    const pages = thread(50);
    await pages.read('dialog360.page', page([row(1)]), params);
    expect(pages.running).toBe(true);
    await expect.poll(() => pages.running, { timeout: 5000 }).toBe(false);

    const again = await pages.read('dialog360.page', page([row(2)]), params);
    expect(again.rows.keys).toEqual(['ch-2']);
    expect(pages.failed).toBeNull();
  });

  it('fails the pages it held when it dies, and reads the next ones on the caller’s thread', async () => {
    const pages = thread();
    const held = pages.read('dialog360.page', page(Array.from({ length: 25 }, (_, i) => row(i))), params).catch((error: unknown) => error);
    // The thread dies under the page (as an out-of-memory thread would).
    await (pages as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();

    expect(await held).toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/^the page thread failed: it exited/) });
    expect(pages.failed).not.toBeNull();
    const next = await pages.read('dialog360.page', page([row(3)]), params);
    expect(next.rows.keys).toEqual(['ch-3']);
    expect(pages.running).toBe(false);
  });

  it('once closed, rejects what it held and reads later pages itself', async () => {
    const pages = thread();
    const held = pages.read('dialog360.page', page(Array.from({ length: 25 }, (_, i) => row(i))), params).catch((error: unknown) => error);
    await pages.close();
    expect(await held).toMatchObject({ code: 'ABORTED' });
    expect((await pages.read('dialog360.page', page([row(4)]), params)).rows.keys).toEqual(['ch-4']);
  });
});
