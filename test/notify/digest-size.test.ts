/**
 * A 5 MB upstream name went whole into the digest (5 MB HTML + 5 MB text). Display cuts it; the
 * stored entity and event keep it whole. Over the simulator, SQLite and the real SMTP peer.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { digital99Harness } from '../helpers/digital99.js';
import { startSmtp } from '../helpers/smtp.js';

describe('a huge upstream name', () => {
  it('keeps the digest email small, shown cut with an ellipsis, while the stored event keeps it whole', async () => {
    const h = await digital99Harness();
    const smtp = await startSmtp();
    const env = { ...h.env, ...smtp.env, MAIL_FROM: 'waba-sync@example.com', DIGEST_TO: 'ops@example.com' };
    await h.sync();
    const huge = `Huge ${'n'.repeat(5 * 1024 * 1024)}`;
    h.world.addNumber({ display_name: huge, business_name: huge });
    await h.sync();

    const run = await cli(['digest', '--send'], env, { clock: h.clock, log: h.logs.log });
    expect(run.stdout).toContain('Sent 1 email');
    const mail = smtp.mails[0]!;
    expect(mail.raw.length).toBeLessThan(50_000);
    expect(mail.parsed.text).toMatch(/Huge n+…/);
    expect(mail.parsed.html).toMatch(/Huge n+…/);

    const stored = await h.app.db.selectFrom('event').select('after').where('type', '=', 'number.added').executeTakeFirstOrThrow();
    expect(JSON.parse(stored.after!).display_name).toBe(huge);
  });
});
