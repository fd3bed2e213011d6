/**
 * An upstream that answers with a redirect must not get our credentials sent to the host it names,
 * nor its answer taken as data: the pull fails, naming only that host, and nothing looks deleted.
 */
import { describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../db/database.js';
import type { Env } from '../../src/config.js';
import { listEvents } from '../../src/events/query.js';
import { Dialog360World } from '../../src/simulator/dialog360.js';
import { Digital99World } from '../../src/simulator/digital99.js';
import { MetaWorld } from '../../src/simulator/meta.js';
import type { SimHandler } from '../../src/simulator/server.js';
import { cli } from '../helpers/cli.js';
import { type Catcher, type RedirectingFront, startCatcher, startRedirectingFront } from '../helpers/hostile-upstream.js';
import { tempDbPath } from '../helpers/temp.js';

interface Setup {
  readonly source: 'meta' | 'dialog360' | 'digital99';
  readonly env: Env;
  readonly front: RedirectingFront;
  readonly catcher: Catcher;
  readonly secrets: readonly string[];
}

/** A front before the simulator, a catcher behind the redirect, and the source's settings pointing at the front. */
async function setUp(source: Setup['source'], prefix: string, handler: SimHandler, env: (apiUrl: string) => Env, secrets: string[], foreignAnswer: unknown): Promise<Setup> {
  const catcher = await startCatcher(foreignAnswer);
  const front = await startRedirectingFront(prefix, handler, catcher);
  return { source, front, catcher, secrets, env: { DATABASE_URL: tempDbPath(), HTTP_RETRIES: '1', HTTP_RETRY_BASE_MS: '5', ...env(front.apiUrl) } };
}

/** A complete pull (the baseline), then a pull answered with redirects: it must fail and change nothing. */
async function expectRedirectRefused(setup: Setup, status: number, redirectWhen: (path: string, method: string) => boolean) {
  setup.front.redirect = null;
  const baseline = await cli(['sync', '--source', setup.source], setup.env);
  expect(baseline.code, baseline.stdout + baseline.stderr).toBe(0);
  const db = await openDatabase(setup.env.DATABASE_URL!);
  try {
    const eventsBefore = await listEvents(db);
    const entitiesBefore = await currentEntities(db);
    expect(entitiesBefore.length).toBeGreaterThan(1);

    setup.front.redirect = (request) => (redirectWhen(request.path, request.method) ? status : null);
    const pulled = await cli(['sync', '--source', setup.source], setup.env);

    expect(pulled.code).toBe(1);
    expect(setup.catcher.received).toEqual([]);
    const host = new URL(setup.catcher.url).host;
    const run = await db.selectFrom('sync_run').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(run.outcome).toBe('failed');
    expect(run.error).toContain(`HTTP ${status} redirect to ${host}`);
    for (const text of [run.error!, pulled.stdout, pulled.stderr]) {
      expect(text).not.toContain('stolen');
      expect(text).not.toContain('/collect');
    }
    expect(pulled.stdout).toContain(`${setup.source} failed: `);
    expect((await listEvents(db)).filter((event) => event.type.endsWith('.removed'))).toEqual([]);
    expect(await listEvents(db)).toEqual(eventsBefore);
    expect(await currentEntities(db)).toEqual(entitiesBefore);
  } finally {
    await db.destroy();
  }
}

function currentEntities(db: Db) {
  return db.selectFrom('entity_version').select(['kind', 'key']).where('valid_to', 'is', null).orderBy('kind').orderBy('key').execute();
}

describe('upstream redirects are refused', () => {
  it('Meta: a 302 to another host gets no token and fails the pull', async () => {
    const world = new MetaWorld();
    world.addPhoneNumber(world.shareWaba().id);
    world.shareWaba();
    const setup = await setUp(
      'meta',
      '/meta',
      world.handler,
      (url) => ({ META_GRAPH_URL: url, META_ACCESS_TOKEN: world.accessToken, META_BUSINESS_ID: world.businessId }),
      [world.accessToken],
      { data: [] },
    );
    await expectRedirectRefused(setup, 302, () => true);
  });

  it('360dialog: a 307 to another host gets no X-API-Key and fails the pull', async () => {
    const world = new Dialog360World();
    const client = world.addClient();
    world.addChannel({ client_id: client.id });
    const setup = await setUp(
      'dialog360',
      '/360dialog/api/v2',
      world.handler,
      (url) => ({ DIALOG360_API_URL: url, DIALOG360_API_KEY: world.apiKey, DIALOG360_PARTNER_ID: world.partnerId }),
      [world.apiKey],
      { count: 0, total: 0, offset: 0, limit: 100, clients: [], partner_channels: [] },
    );
    await expectRedirectRefused(setup, 307, () => true);
  });

  it('99digital: a 307 on the token request gets no client_secret; a 302 on a list emits no removals', async () => {
    const world = new Digital99World();
    world.addOnboarding();
    world.finishOnboarding(world.addOnboarding().onboarding_link);
    const setup = await setUp(
      'digital99',
      '/99digital/api',
      world.handler,
      (url) => ({ DIGITAL99_API_URL: url, DIGITAL99_CLIENT_ID: world.clientId, DIGITAL99_CLIENT_SECRET: world.clientSecret }),
      [world.clientSecret],
      { status: 'OK', reason: 0, access_token: 'foreign', expiration_time: '9999999999', token_type: 'Bearer', list: [] },
    );
    await expectRedirectRefused(setup, 307, (path, method) => method === 'POST' && path.endsWith('/accessToken'));
    await expectRedirectRefused(setup, 302, (path) => path.endsWith('/getAccounts'));
  });
});
