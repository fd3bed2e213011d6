/**
 * `onboarding create` and `onboarding delete` over HTTP against the 99digital simulator, on a
 * real database: every field rule refused before any call, the upstream's reasons in words, and a
 * created link reported by the next pull exactly once.
 */
import { describe, expect, it } from 'vitest';
import { listEvents } from '../../src/events/query.js';
import { FIELD_ERROR_REASON } from '../../src/simulator/digital99-onboarding.js';
import type { Digital99Harness } from '../helpers/digital99.js';
import { digital99Harness } from '../helpers/digital99.js';
import { cli } from '../helpers/report.js';

const NUMBER = '972501112233';
const BASE = ['onboarding', 'create', '--number', NUMBER, '--business-name', 'Acme Foods', '--display-name', 'Acme - support'];

async function harness(): Promise<Digital99Harness> {
  const h = await digital99Harness();
  h.world.registerNumber(NUMBER);
  await h.sync(); // the baseline: later links are events
  return h;
}

/** Requests 99digital received for these calls (token requests included: none may be made either). */
function writes(h: Digital99Harness): number {
  return (h.world.calls.createAccount ?? 0) + (h.world.calls.deleteAccount ?? 0) + (h.world.calls.accessToken ?? 0);
}

describe('onboarding create: every field checked before any call', () => {
  const cases: [string, string[], RegExp][] = [
    ['a number with letters', ['--number', '97250ABC'], /--number \(whatsapp\): digits only/],
    ['both --number and --coexistence', ['--coexistence'], /--number and --coexistence: give one/],
    ['a business name of 101 characters', ['--business-name', 'a'.repeat(101)], /--business-name \(business_name\): at most 100 characters/],
    ['a business name with "&"', ['--business-name', 'Acme & Sons'], /--business-name \(business_name\): only letters, numbers, spaces and hyphens/],
    ['an empty business name', ['--business-name', ' '], /--business-name \(business_name\): must not be empty/],
    ['a display name of 51 characters', ['--display-name', 'b'.repeat(51)], /--display-name \(display_name\): at most 50 characters/],
    ['a display name with "!"', ['--display-name', 'Acme!'], /--display-name \(display_name\): only letters/],
    ['a business email that is no address', ['--business-email', 'owner-at-acme'], /--business-email \(business_email\): an email address/],
    ['a business email of 201 characters', ['--business-email', `${'o'.repeat(190)}@acme.co.il`], /--business-email \(business_email\): at most 200 characters/],
    ['a business id with a dash', ['--business-id', '51-123'], /--business-id \(business_id\): digits only/],
    ['a business id of 21 digits', ['--business-id', '1'.repeat(21)], /--business-id \(business_id\): at most 20 characters/],
    ['a business address of 301 characters', ['--business-address', 'x'.repeat(301)], /--business-address \(business_address\): at most 300 characters/],
    ['an http logo', ['--logo', 'http://cdn.example/logo.png'], /--logo \(onboarding_logo\): an https:\/\/ URL/],
    ['a logo URL of 1001 characters', ['--logo', `https://cdn.example/${'l'.repeat(990)}.png`], /--logo \(onboarding_logo\): at most 1000 characters/],
    ['a message of 201 characters', ['--message', 'm'.repeat(201)], /--message \(onboarding_message\): at most 200 characters/],
    ['a message with a semicolon', ['--message', 'Welcome; sign here'], /--message \(onboarding_message\): only letters/],
    ['a reference of 51 characters', ['--reference', 'r'.repeat(51)], /--reference \(reference\): at most 50 characters/],
    ['a reference with a slash', ['--reference', 'crm/7'], /--reference \(reference\): only letters/],
  ];
  for (const [what, args, message] of cases) {
    it(`refuses ${what}: exit 2 naming the field, nothing sent`, async () => {
      const h = await harness();
      const before = writes(h);
      const run = await cli(h, [...BASE, ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain('nothing was sent to 99digital');
      expect(writes(h)).toBe(before);
      expect(h.world.onboardings.size).toBe(0);
    });
  }

  it('refuses a missing display name and a missing number alike', async () => {
    const h = await harness();
    const run = await cli(h, ['onboarding', 'create', '--business-name', 'Acme']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--number: required');
    expect(run.stderr).toContain('--display-name (display_name): required');
    expect(h.world.calls.createAccount).toBeUndefined();
  });

  it('accepts Hebrew names, hyphens and spaces, and sends every field under its 99digital name', async () => {
    const h = await harness();
    const run = await cli(h, [
      ...BASE.slice(0, 4),
      '--business-name',
      'פיצה האט - סניף 3',
      '--display-name',
      'פיצה האט',
      '--business-email',
      'owner@acme.co.il',
      '--business-id',
      '515151515',
      '--business-address',
      '1 Herzl St, Tel Aviv',
      '--reference',
      'crm-7',
      '--logo',
      'https://cdn.example/logo.png',
      '--message',
      'Welcome to Acme',
      '--basic-templates',
      '--by',
      'dana',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(h.world.createRequests).toEqual([
      {
        whatsapp: NUMBER,
        business_name: 'פיצה האט - סניף 3',
        display_name: 'פיצה האט',
        business_email: 'owner@acme.co.il',
        business_id: '515151515',
        business_address: '1 Herzl St, Tel Aviv',
        onboarding_logo: 'https://cdn.example/logo.png',
        onboarding_message: 'Welcome to Acme',
        reference: 'crm-7',
        basic_templates: 1,
      },
    ]);
    const link = h.world.onboardingOf(NUMBER)!;
    expect(run.stdout).toContain(`Onboarding link: ${link.onboarding_link}`);
    expect(run.stdout).toContain(`Landing page:    ${link.landing_page}`);
    expect(run.stdout).toContain('created by dana');
  });
});

describe('onboarding create: a created link is reported by the next pull, once', () => {
  it('records who created it, and the pull emits one onboarding.created however often it runs', async () => {
    const h = await harness();
    h.clock.set('2026-11-03T10:00:00.000Z');
    const run = await cli(h, [...BASE, '--reference', 'crm-7', '--by', 'dana', '--json']);
    expect(run.code).toBe(0);
    const created = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(created).toMatchObject({ number: NUMBER, temporary_number: null, coexistence: false, reference: 'crm-7', created_by: 'dana', created_at: '2026-11-03T10:00:00.000Z', landing_page: null });
    // Creating made no event: only the pull does.
    expect((await listEvents(h.app.db, { type: 'onboarding.*' })).length).toBe(0);
    await h.sync();
    await h.sync();
    const events = await listEvents(h.app.db, { type: 'onboarding.*' });
    expect(events.map((e) => [e.type, e.key])).toEqual([['onboarding.created', created.onboarding_link]]);
    const row = await h.app.db.selectFrom('onboarding_request').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ onboarding_link: created.onboarding_link, number: NUMBER, created_by: 'dana', created_at: '2026-11-03T10:00:00.000Z', reference: 'crm-7', deleted_at: null });
  });

  it('coexistence: prints the temporary number; finishing swaps it for the real one', async () => {
    const h = await harness();
    const run = await cli(h, ['onboarding', 'create', '--coexistence', '--business-name', 'Bakery Levi', '--display-name', 'Bakery']);
    expect(run.code).toBe(0);
    expect(h.world.createRequests.at(-1)!.whatsapp).toBe('1');
    const link = [...h.world.onboardings.values()].at(-1)!;
    const temporary = link.whatsapp;
    expect(temporary.startsWith('97257')).toBe(true);
    expect(run.stdout).toContain(`Temporary number: ${temporary}`);
    await h.sync();

    h.world.finishOnboarding(link.onboarding_link, { realNumber: '972541112233' });
    await h.sync();
    const events = await listEvents(h.app.db, { type: 'onboarding.*' });
    expect(events.map((e) => [e.type, e.key, e.changes])).toEqual([
      ['onboarding.created', link.onboarding_link, null],
      ['onboarding.completed', link.onboarding_link, { status: { from: 0, to: 1 } }],
      ['onboarding.number_swapped', link.onboarding_link, { whatsapp: { from: temporary, to: '972541112233' } }],
    ]);
  });
});

describe("onboarding create and delete: 99digital's reasons in words", () => {
  it('a number not registered in the account (26), a second link for a number (4), a finished one (25): exit 1', async () => {
    const h = await harness();
    const unregistered = await cli(h, ['onboarding', 'create', '--number', '972509999999', '--business-name', 'Acme', '--display-name', 'Acme']);
    expect(unregistered.code).toBe(1);
    expect(unregistered.stderr).toContain('not a registered, verified number of this account (reason 26)');

    expect((await cli(h, BASE)).code).toBe(0);
    const second = await cli(h, BASE);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('already has an onboarding link (reason 4)');

    h.world.finishOnboarding(h.world.onboardingOf(NUMBER)!.onboarding_link);
    const finished = await cli(h, BASE);
    expect(finished.code).toBe(1);
    expect(finished.stderr).toContain("this number's onboarding is already finished (reason 25)");
  });

  it('a reason waba-sync does not know is shown with the words that came with it', async () => {
    const h = await harness();
    h.world.inject({ call: 'createAccount', kind: 'reason', reason: FIELD_ERROR_REASON });
    const run = await cli(h, BASE);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`digital99 createAccount: request failed with reason ${FIELD_ERROR_REASON}`);
  });

  it('a timeout or 5xx is not sent again and says the link may exist', async () => {
    const h = await harness();
    h.world.inject({ call: 'createAccount', kind: 'http', status: 503 });
    const run = await cli(h, BASE);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('HTTP 503');
    expect(run.stderr).toContain('may or may not have been created');
    expect(h.world.calls.createAccount).toBe(1);

    // A token request that fails sent nothing (each command has its own client): no doubt to report.
    h.world.inject({ call: 'accessToken', kind: 'http', status: 503 });
    const noToken = await cli(h, BASE);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('digital99 accessToken: HTTP 503');
    expect(noToken.stderr).not.toContain('may or may not');
    expect(h.world.calls.createAccount).toBe(1);
  });
});

describe('onboarding delete', () => {
  it('deletes an unfinished link with --yes; the next pull reports it removed', async () => {
    const h = await harness();
    expect((await cli(h, [...BASE, '--by', 'dana'])).code).toBe(0);
    await h.sync();
    const run = await cli(h, ['onboarding', 'delete', NUMBER, '--yes', '--by', 'omer']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(h.world.onboardingOf(NUMBER)).toBeUndefined();
    await h.sync();
    expect((await listEvents(h.app.db, { type: 'onboarding.*' })).map((e) => e.type)).toEqual(['onboarding.created', 'onboarding.removed']);
    const row = await h.app.db.selectFrom('onboarding_request').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ deleted_by: 'omer' });
  });

  it('needs --yes when not on a terminal: exit 2, nothing sent', async () => {
    const h = await harness();
    h.world.addOnboarding({ whatsapp: NUMBER });
    const run = await cli(h, ['onboarding', 'delete', NUMBER]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('add --yes');
    expect(h.world.calls.deleteAccount).toBeUndefined();
    expect(h.world.onboardingOf(NUMBER)).toBeDefined();
  });

  it('refuses a link our last pull saw finished, without asking 99digital', async () => {
    const h = await harness();
    h.world.finishOnboarding(h.world.addOnboarding({ whatsapp: NUMBER }).onboarding_link);
    await h.sync();
    const before = writes(h);
    const run = await cli(h, ['onboarding', 'delete', NUMBER, '--yes']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the onboarding of ${NUMBER} is finished`);
    expect(writes(h)).toBe(before);
  });

  it("goes by 99digital's reason when our data is behind: finished since the last pull (25), unknown (26)", async () => {
    const h = await harness();
    const link = h.world.addOnboarding({ whatsapp: NUMBER }).onboarding_link;
    await h.sync();
    h.world.finishOnboarding(link);
    const finished = await cli(h, ['onboarding', 'delete', NUMBER, '--yes']);
    expect(finished.code).toBe(1);
    expect(finished.stderr).toContain('already finished and can no longer be deleted (reason 25)');
    const unknown = await cli(h, ['onboarding', 'delete', '972500000001', '--yes']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no onboarding link for this number (reason 26)');
    const bad = await cli(h, ['onboarding', 'delete', '97250-abc', '--yes']);
    expect(bad.code).toBe(2);
  });
});

describe('onboarding delete on a terminal', () => {
  it('asks first: "n" deletes nothing, "y" deletes', async () => {
    const { PassThrough, Writable } = await import('node:stream');
    const { runCli } = await import('../../src/cli.js');
    const h = await harness();
    h.world.addOnboarding({ whatsapp: NUMBER, business_name: 'Acme Foods' });
    await h.sync();
    const ask = async (answer: string) => {
      const stdin = Object.assign(new PassThrough(), { isTTY: true });
      let err = '';
      const stderr = Object.assign(
        new Writable({
          write(chunk, _e, done) {
            err += String(chunk);
            done();
          },
        }),
        { isTTY: true },
      );
      const stdout = new Writable({ write: (_chunk, _e, done) => done() });
      const running = runCli(['onboarding', 'delete', NUMBER], { env: h.env, cwd: process.cwd(), stdin, stdout, stderr, clock: h.clock, log: h.logs.log });
      stdin.write(`${answer}\n`);
      return { code: await running, stderr: err };
    };
    const declined = await ask('n');
    expect(declined.stderr).toContain(`Delete the unfinished onboarding link of ${NUMBER} (Acme Foods`);
    expect(declined.code).toBe(1);
    expect(h.world.calls.deleteAccount).toBeUndefined();
    const accepted = await ask('y');
    expect(accepted.code).toBe(0);
    expect(h.world.onboardingOf(NUMBER)).toBeUndefined();
  });
});

describe('onboarding create through the npm script (the compiled build)', () => {
  // spawnSync blocks this process, so the in-process simulator can't answer: only the refusal, which makes no call.
  it('exits 2 naming the field, with no call', async () => {
    const { npmRun } = await import('../helpers/cli.js');
    const h = await harness();
    const bad = npmRun('cli', ['onboarding', 'create', '--number', NUMBER, '--business-name', 'Acme', '--display-name', 'Acme!'], h.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--display-name (display_name): only letters, numbers, spaces and hyphens');
    expect(writes(h)).toBe(1); // the baseline's token only
  });
});
