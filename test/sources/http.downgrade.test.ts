/**
 * An https upstream that redirects to http is refused like any redirect, and says it was a
 * downgrade. Over a loopback TLS server with a throwaway self-signed certificate (made with the
 * openssl command; the test is skipped where there is none).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import type { CliRun } from '../helpers/cli.js';
import { startCatcher } from '../helpers/hostile-upstream.js';
import { tempDbPath, tempDir } from '../helpers/temp.js';

const closers: (() => void)[] = [];
afterEach(() => {
  while (closers.length > 0) closers.pop()!();
});

function selfSignedCertificate(): { key: string; cert: string; certFile: string } | null {
  const dir = tempDir();
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), certFile: join(dir, 'cert.pem') };
  } catch {
    return null;
  }
}

const certificate = selfSignedCertificate();

/** `npm run --silent sync` in a child, without blocking this process (its servers must answer). */
function npmSync(env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'sync'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('https → http', () => {
  it.skipIf(certificate === null)('a redirect from the https API URL to http fails the pull as a downgrade; nothing reaches the http host', async () => {
    const catcher = await startCatcher({ data: [] });
    const server = createServer(certificate!, (req, res) => {
      res.writeHead(302, { location: `${catcher.url}/collect${req.url}` }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => {
      server.closeAllConnections();
      server.close();
    });
    const env = {
      DATABASE_URL: tempDbPath(),
      META_GRAPH_URL: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      META_ACCESS_TOKEN: 'EAAdowngrade-test-token',
      META_BUSINESS_ID: '1234',
      HTTP_RETRIES: '0',
      // The throwaway certificate is trusted by the child process only.
      NODE_EXTRA_CA_CERTS: certificate!.certFile,
    };

    // The real `npm run sync` in a child: a trusted CA can only be added when a process starts.
    const run = await npmSync(env);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`redirect to http://${new URL(catcher.url).host} (a downgrade from https to http, refused)`);
    expect(catcher.received).toEqual([]);
    const db = await openDatabase(env.DATABASE_URL);
    const ledger = await db.selectFrom('sync_run').select('outcome').execute();
    await db.destroy();
    expect(ledger).toEqual([{ outcome: 'failed' }]);
  });
});
