import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { type DigestSettings, queueDigest } from '../../src/notify/digest/digest.js';
import { insertEvent, insertRun } from '../helpers/fleet-rows.js';
import { tempDbPath } from '../helpers/temp.js';

const settings: DigestSettings = {
  to: ['ops@example.com'],
  timezone: 'UTC',
  sectionLimit: 25,
  graceHours: 24,
  enabledSources: ['meta', 'dialog360'],
  disabledReasons: { digital99: 'set DIGITAL99_CLIENT_ID and DIGITAL99_CLIENT_SECRET' },
};
const AT = '2026-11-03T06:00:00.000Z';

describe('digest sections for Meta and 360dialog events (events read from the event table)', () => {
  it('puts each event type in its section, in order, with name, id, owner business and from → to', async () => {
    const db = await openDatabase(tempDbPath());
    await insertRun(db, 'meta', AT);
    await insertRun(db, 'dialog360', AT);
    await insertRun(db, 'dialog360', '2026-11-03T06:30:00.000Z', 'failed');
    await db.updateTable('sync_run').set({ error: 'dialog360 GET /partners/p1/channels: HTTP 503 after 3 attempts', error_code: 'UNAVAILABLE' }).where('outcome', '=', 'failed').execute();

    const waba = { id: '1049', name: 'Hostile <script>x</script> WABA', owner_business_info: { id: '77', name: 'Owner & Sons' }, account_review_status: 'PENDING' };
    const channel = { id: 'ch-1', status: 'ready', setup_info: { phone_number: '+49 151 000', phone_name: 'Berlin Desk' }, waba_account: { id: 'wa1', external_id: '1049' } };
    await insertEvent(db, { type: 'channel.changed', source: 'dialog360', key: 'ch-1', at: AT, before: channel, after: channel, changes: { account_mode: { from: 'sandbox', to: 'live' } } });
    await insertEvent(db, { type: 'waba.review_status_changed', source: 'meta', key: '1049', at: AT, before: waba, after: { ...waba, account_review_status: 'APPROVED' }, changes: { account_review_status: { from: 'PENDING', to: 'APPROVED' } } });
    await insertEvent(db, { type: 'channel.removed', source: 'dialog360', key: 'ch-9', at: AT, before: { ...channel, id: 'ch-9', setup_info: { phone_number: '+1 555 0100', phone_name: 'Gone' } } });
    await insertEvent(db, { type: 'channel.status_changed', source: 'dialog360', key: 'ch-1', at: AT, before: channel, after: { ...channel, status: 'running' }, changes: { status: { from: 'ready', to: 'running' } } });
    await insertEvent(db, { type: 'phone_number.quality_changed', source: 'meta', key: 'pn-5', at: AT, after: { id: 'pn-5', display_phone_number: '+972 50-123-4567', verified_name: 'Acme', quality_rating: 'YELLOW', waba_id: '1049' }, changes: { quality_rating: { from: 'GREEN', to: 'YELLOW' } } });
    await insertEvent(db, { type: 'client.added', source: 'dialog360', key: 'cl-3', at: AT, after: { id: 'cl-3', name: 'New Client GmbH', status: 'active' } });
    await insertEvent(db, { type: 'waba.shared', source: 'meta', key: '1049', at: AT, after: waba });
    await insertEvent(db, { type: 'waba.unshared', source: 'meta', key: '2000', at: AT, before: { id: '2000', name: 'Left Us', owner_business_info: { id: '88', name: 'Former Co' } } });
    await insertEvent(db, { type: 'some.future_type', source: 'meta', key: 'x1', at: AT, after: { name: 'Mystery' } });

    const outcome = await queueDigest(db, new Date('2026-11-03T07:00:00.000Z'), settings, { commit: true });
    if (outcome.kind !== 'digest') throw new Error('expected a digest');
    const { text, html } = outcome.plan.email;

    const headings = text.split('\n').filter((line) => /^[A-Z].* \(\d+\)$/.test(line));
    expect(headings).toEqual([
      'Newly shared WABAs (1)',
      'New numbers, channels and clients (1)',
      'Vanished (2)',
      'Status, review, quality and tier changes (3)',
      'Other changes (2)',
    ]);
    expect(text).toContain('meta | waba.shared | Hostile <script>x</script> WABA | 1049 | Owner & Sons (77) | —');
    expect(text).toContain('meta | waba.unshared | Left Us | 2000 | Former Co (88) | —');
    expect(text).toContain('meta | waba.review_status_changed | Hostile <script>x</script> WABA | 1049 | Owner & Sons (77) | account_review_status: PENDING → APPROVED');
    expect(text).toContain('meta | phone_number.quality_changed | Acme | +972 50-123-4567 | — | quality_rating: GREEN → YELLOW; WABA 1049');
    expect(text).toContain('dialog360 | channel.status_changed | Berlin Desk | +49 151 000 | — | status: ready → running; WABA 1049');
    expect(text).toContain('dialog360 | channel.removed | Gone | +1 555 0100');
    expect(text).toContain('dialog360 | client.added | New Client GmbH | cl-3');
    expect(text).toContain('meta | some.future_type | Mystery | x1');
    // Status changes in detection order within the section.
    expect(text.indexOf('channel.status_changed')).toBeLessThan(text.indexOf('phone_number.quality_changed'));
    expect(text).toMatch(/dialog360: last complete pull 2026-11-03 06:00, 1 failed pull since; last error: dialog360 GET .*HTTP 503/);
    expect(text).not.toContain('digital99');

    expect(html).not.toContain('<script>');
    expect(html).toContain('Hostile &lt;script&gt;x&lt;/script&gt; WABA');
    expect(html).toContain('Owner &amp; Sons (77)');

    // Covered: a second digest finds nothing.
    expect((await queueDigest(db, new Date('2026-11-03T08:00:00.000Z'), settings, { commit: true })).kind).toBe('nothing');
    await db.destroy();
  });
});
