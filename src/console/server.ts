/**
 * The web console (issue 17): a Fastify app answering every path but /healthz and /metrics on
 * HTTP_PORT (src/observability/server.ts hands it the requests). Access: a login form checked
 * against CONSOLE_USERS' scrypt hashes, then an HttpOnly SameSite=Strict session cookie that ends
 * after CONSOLE_IDLE_MINUTES unused; failed logins throttled per address; every POST carries the
 * session's CSRF token (the login form a token of its own cookie). Every answer carries the
 * security headers (http.ts): no script runs, nothing is loaded from another host.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import type { ConsoleConfig, SourceName } from '../config.js';
import type { MailTransport } from '../notify/transport.js';
import { LOGIN_COOKIE, SESSION_COOKIE, clientAddress, cookie, field, readCookie, securityHeaders } from './http.js';
import { registerFleetPages } from './pages/fleet.js';
import { registerOperationsPages } from './pages/operations.js';
import { decoyHash, verifyPassword } from './passwords.js';
import { CurrentIndexCache } from './queries/current-index.js';
import { LoginThrottle, type Session, SessionStore, randomToken, sameToken } from './sessions.js';
import { type TemplateName, consoleTemplates } from './templates.js';
import { STYLESHEET } from './views/style.js';

export interface ConsoleDeps {
  readonly app: Pick<App, 'config' | 'db' | 'clock' | 'log' | 'sources' | 'scrubber' | 'clients'>;
  readonly settings: ConsoleConfig;
  /** A full pull of one source, through its lease (and in the daemon its lock); resolves when it ends. */
  readonly syncNow: (source: SourceName) => Promise<unknown>;
  /** Overrides the mail transport built from SMTP_URL ("send now"; tests). */
  readonly transport?: MailTransport;
  readonly onError: (error: unknown) => void;
}

/** What each page handler gets: the deps, the shared index, and how to answer with a page. */
export interface PageKit {
  readonly deps: ConsoleDeps;
  readonly index: CurrentIndexCache;
  page(request: FastifyRequest, reply: FastifyReply, template: TemplateName, title: string, data?: object, status?: number): FastifyReply;
  session(request: FastifyRequest): Session;
  /** A message for the next page this session sees (after a POST's redirect). */
  flash(request: FastifyRequest, message: string): void;
}

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Paths served without a session. */
const PUBLIC = new Set(['/login', '/console.css']);

export async function buildConsole(deps: ConsoleDeps): Promise<{ app: FastifyInstance; handler: ConsoleHandler }> {
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    // Errors before routing (a malformed URL, a bad header) get the same headers and wording as any answer.
    frameworkErrors: (error, _request, reply) => {
      const answer = reply as unknown as FastifyReply;
      securityHeaders(answer);
      void answer.code(error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400).type('text/plain').send('bad request');
    },
  });
  await app.register(formbody);
  const render = consoleTemplates();
  const sessions = new SessionStore(deps.app.clock, deps.settings.idleMs);
  const throttle = new LoginThrottle(deps.app.clock);
  const bound = new WeakMap<FastifyRequest, Session>();
  const flashes = new WeakMap<Session, string>();
  const secure = deps.settings.secureCookie;

  const kit: PageKit = {
    deps,
    index: new CurrentIndexCache(deps.app.db),
    page(request, reply, template, title, data = {}, status = 200) {
      const session = bound.get(request);
      const flash = session ? flashes.get(session) : undefined;
      if (session) flashes.delete(session);
      const html = render(template, { ...data, title, user: session?.user ?? null, csrf: session?.csrf ?? '', flash: flash ?? null });
      return reply.code(status).type('text/html; charset=utf-8').send(html);
    },
    session: (request) => bound.get(request)!,
    flash(request, message) {
      const session = bound.get(request);
      if (session) flashes.set(session, message);
    },
  };

  app.addHook('onRequest', async (request, reply) => {
    securityHeaders(reply);
    const path = request.url.split('?')[0]!;
    if (PUBLIC.has(path)) return;
    const session = sessions.touch(readCookie(request, SESSION_COOKIE));
    if (!session) {
      if (request.method === 'GET' || request.method === 'HEAD') return reply.redirect('/login', 303);
      return reply.code(403).type('text/plain').send('sign in first');
    }
    bound.set(request, session);
  });
  // Every POST but the login's: the session's token, compared in constant time.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.url.split('?')[0] === '/login') return;
    const session = bound.get(request);
    if (!session || !sameToken(field(request.body, '_csrf'), session.csrf)) {
      return reply.code(403).type('text/plain').send('refused: the form had no valid CSRF token; reload the page and try again');
    }
  });
  app.setErrorHandler((error: { statusCode?: number }, _request, reply) => {
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return reply.code(error.statusCode).type('text/plain').send('bad request');
    deps.onError(error);
    return reply.code(500).type('text/plain').send('internal error');
  });
  app.setNotFoundHandler((request, reply) => kit.page(request, reply, 'not-found', 'Not found', { message: 'There is no such page.' }, 404));

  app.get('/console.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=300').send(STYLESHEET));

  app.get('/login', async (request, reply) => loginPage(request, reply, null, 200));
  const loginPage = (request: FastifyRequest, reply: FastifyReply, problem: string | null, status: number) => {
    // The token already in the browser when there is one: two tabs (or a reload racing the first
    // load) must not invalidate each other's form.
    const held = readCookie(request, LOGIN_COOKIE);
    const token = held && /^[A-Za-z0-9_-]{43}$/.test(held) ? held : randomToken();
    reply.header('set-cookie', cookie(LOGIN_COOKIE, token, { secure, path: '/login' }));
    return kit.page(request, reply, 'login', 'Sign in', { problem, loginToken: token }, status);
  };
  app.post('/login', async (request, reply) => {
    const address = clientAddress(request);
    if (!sameToken(field(request.body, '_csrf'), readCookie(request, LOGIN_COOKIE) ?? '') || !readCookie(request, LOGIN_COOKIE)) {
      return reply.code(403).type('text/plain').send('refused: the sign-in form had no valid CSRF token; reload it');
    }
    const wait = throttle.retryAfterSeconds(address);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      return loginPage(request, reply, `Too many failed sign-ins from your address: try again in ${Math.ceil(wait / 60)} minute(s).`, 429);
    }
    // Counted before the (slow) password check, so concurrent guesses can't all pass the throttle.
    const succeeded = throttle.attempt(address);
    const name = field(request.body, 'user') ?? '';
    const password = typeof (request.body as Record<string, unknown> | undefined)?.password === 'string' ? ((request.body as Record<string, string>).password ?? '') : '';
    const user = deps.settings.users.find((u) => u.name === name);
    // An unknown name costs the same scrypt as a known one: timing tells nothing about the names.
    const ok = await verifyPassword(password, user?.hash ?? (await decoyHash()));
    if (!user || !ok) {
      // A name that is no user's is not logged: people type their password into the name field.
      deps.app.log.warn({ address, user: user ? user.name : '(unknown)' }, 'console: sign-in refused');
      return loginPage(request, reply, 'Wrong user name or password.', 401);
    }
    succeeded();
    sessions.end(readCookie(request, SESSION_COOKIE));
    const session = sessions.create(user.name);
    deps.app.log.info({ address, user: user.name }, 'console: signed in');
    reply.header('set-cookie', [cookie(SESSION_COOKIE, session.id, { secure }), cookie(LOGIN_COOKIE, '', { secure, path: '/login', clear: true })]);
    return reply.redirect('/', 303);
  });
  app.post('/logout', async (request, reply) => {
    sessions.end(readCookie(request, SESSION_COOKIE));
    reply.header('set-cookie', cookie(SESSION_COOKIE, '', { secure, clear: true }));
    return reply.redirect('/login', 303);
  });

  registerFleetPages(app, kit);
  registerOperationsPages(app, kit);
  await app.ready();
  return { app, handler: (req, res) => app.routing(req, res) };
}
