import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli.js';
import type { Env } from '../../../src/config.js';
import { metaHarness } from '../../helpers/meta.js';
import { tempDir } from '../../helpers/temp.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    text: () => chunks.join(''),
  };
}

async function cli(env: Env, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliWithInput(env, undefined, ...argv);
}

async function cliWithInput(env: Env, input: string | undefined, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const stdin = input === undefined ? undefined : Readable.from([input]);
  const code = await runCli(argv, { env, cwd: tempDir(), stdout: stdout.stream, stderr: stderr.stream, stdin });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('cli resolve-token', () => {
  it('prints the granted WABA ids newest first and which are already known, never the token', async () => {
    const h = await metaHarness();
    const known = h.world.shareWaba({ name: 'Acme' });
    const owned = h.world.addOwnedWaba({ name: 'Our own' });
    await h.sync();
    const fresh = h.world.shareWaba({ name: 'Just signed up' });
    const token = h.world.issueSignupToken([fresh.id, owned.id, known.id]);

    const { code, stdout, stderr } = await cli(h.env, 'resolve-token', token);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Token: valid, expires \d{4}-\d{2}-\d{2}T/);
    expect(lines[1]).toBe('WABAs granted whatsapp_business_management (newest first):');
    expect(lines.slice(3).map((line) => line.split(/\s{2,}/))).toEqual([
      [fresh.id, 'no: not in the last pull (a full sync will list it once shared)'],
      [owned.id, 'yes: owned WABA "Our own"'],
      [known.id, 'yes: client WABA "Acme"'],
    ]);
    expect(stdout).not.toContain(token);
    expect(stdout).not.toContain(h.world.accessToken);
    expect(h.world.calls.debug_token).toBe(1);
  });

  it('reads the token from standard input when given "-", keeping it out of the process list', async () => {
    const h = await metaHarness();
    const waba = h.world.shareWaba({ name: 'Acme' });
    const token = h.world.issueSignupToken([waba.id]);
    const { code, stdout } = await cliWithInput(h.env, `${token}\n`, 'resolve-token', '-');
    expect(code).toBe(0);
    expect(stdout).toContain(waba.id);
    expect(stdout).not.toContain(token);
  });

  it('exits 1 on an invalid token', async () => {
    const h = await metaHarness();
    const expired = h.world.issueSignupToken([h.world.shareWaba().id], { valid: false });
    const result = await cli(h.env, 'resolve-token', expired);
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')[0]).toBe('Token: NOT valid');

    const unknown = await cli(h.env, 'resolve-token', 'EAAnot-a-real-token');
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('Token: NOT valid (Meta: Invalid OAuth access token.)');
    expect(unknown.stdout).not.toContain('EAAnot-a-real-token');
  });

  it('fails with the dead-token message when the system user token is dead, and exits 2 when Meta is not configured', async () => {
    const h = await metaHarness();
    h.world.expireToken();
    const dead = await cli(h.env, 'resolve-token', 'EAAwhatever');
    expect(dead.code).toBe(1);
    expect(dead.stderr).toContain('meta debug_token: the Meta token is invalid or expired and must be replaced');
    expect(dead.stderr).not.toContain('EAAwhatever');

    const unconfigured = await cli({ DATABASE_URL: h.dbPath }, 'resolve-token', 'EAAwhatever');
    expect(unconfigured).toMatchObject({ code: 2 });
    expect(unconfigured.stderr).toContain('set META_ACCESS_TOKEN and META_BUSINESS_ID');
  });
});
