/** Runs, the outbox (send now), reports, Sync now per source, and the onboarding-link form. */
import type { FastifyInstance } from 'fastify';
import { makeReport, statisticsReader } from '../../../reports/generate.js';
import { type Month, addMonths, compareMonths, monthKey, monthName, monthOf, parseMonth } from '../../../reports/month.js';
import type { RenderedReport } from '../../../reports/render.js';
import type { RunOutcome } from '../../../db/schema.js';
import { readLifecycles } from '../../commands/onboarding.js';
import { SOURCE_NAMES, type SourceName } from '../../config.js';
import { UpstreamError, WabaSyncError } from '../../errors.js';
import { drainConfigured } from '../../notify/mailer.js';
import { listOutbox } from '../../notify/outbox.js';
import { backlogBySubscription, listDeliveries } from '../../delivery/store.js';
import { creators, recordCreated } from '../../onboarding/requests.js';
import { displayValue } from '../../render/truncate.js';
import { digital99Client } from '../../sources/digital99/client.js';
import { type OnboardingLinkRequest, createOnboardingLink, validateOnboardingLink } from '../../sources/digital99/onboarding-link.js';
import { REPORT_CSP, field, securityHeaders } from '../http.js';
import { runsPage } from '../queries/runs.js';
import type { PageKit } from '../server.js';

const when = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '-');

/** The onboarding form's fields, as the CLI's options (the same validation: validateOnboardingLink). */
const ONBOARDING_FIELDS = ['number', 'businessName', 'displayName', 'businessEmail', 'businessId', 'businessAddress', 'reference', 'message'] as const;

export function registerOperationsPages(app: FastifyInstance, kit: PageKit): void {
  const { deps } = kit;
  const { db, config } = deps.app;

  app.get('/runs', async (request, reply) => {
    const source = field(request.query, 'source');
    const outcome = field(request.query, 'outcome');
    const beforeField = field(request.query, 'before');
    const before = beforeField === undefined ? undefined : /^\d{1,15}$/.test(beforeField) ? Number(beforeField) : null;
    const outcomes = ['running', 'complete', 'failed'];
    // A wrong value is said, with a 400: never the unfiltered list in its place.
    const problem =
      source !== undefined && !(SOURCE_NAMES as readonly string[]).includes(source)
        ? `Source: not one of ${SOURCE_NAMES.join(', ')}`
        : outcome !== undefined && !outcomes.includes(outcome)
          ? `Outcome: not one of ${outcomes.join(', ')}`
          : before === null
            ? 'Older: not a run id'
            : null;
    if (problem) return kit.page(request, reply, 'not-found', 'Bad request', { message: problem }, 400);
    const filter = { source, outcome: outcome as RunOutcome | undefined };
    const { rows, more } = await runsPage(db, filter, before ?? undefined);
    const older = new URLSearchParams({ ...(filter.source ? { source: filter.source } : {}), ...(filter.outcome ? { outcome: filter.outcome } : {}), before: String(rows.at(-1)?.id ?? 0) });
    return kit.page(request, reply, 'runs', 'Runs', {
      filter,
      sources: SOURCE_NAMES,
      rows: rows.map((r) => ({
        id: r.id,
        source: r.source,
        mode: r.scope === 'targeted' ? `${r.mode} (targeted)` : r.mode,
        started: when(r.started_at),
        duration: r.finished_at ? `${((Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000).toFixed(1)} s` : '-',
        outcome: r.outcome,
        entities: r.entities,
        events: r.events,
        apiCalls: r.api_calls,
        // Stored scrubbed; scrubbed again for rows written before that or with other credentials.
        error: r.error ? displayValue(deps.app.scrubber.scrub(r.error)) : '',
      })),
      olderHref: more ? `/runs?${older}` : null,
    });
  });

  app.post<{ Params: { source: string } }>('/sources/:source/sync', async (request, reply) => {
    const name = request.params.source as SourceName;
    if (!deps.app.sources.has(name)) return kit.page(request, reply, 'not-found', 'Not found', { message: 'No such enabled source.' }, 404);
    const who = kit.session(request).user;
    deps.app.log.info({ source: name, user: who }, 'console: sync now');
    // Through the source's lease like any pull: when another pull holds it, this one is skipped and the runs say so.
    void deps.syncNow(name).catch(deps.onError);
    kit.flash(request, `A full pull of ${name} was started; it shows below as running, then complete or failed (reload to follow it).`);
    return reply.redirect(`/runs?source=${encodeURIComponent(name)}`, 303);
  });

  app.get('/outbox', async (request, reply) => {
    const rows = await listOutbox(db, { recentSent: 50 });
    const subscriptions = config.delivery.subscriptions.map((subscription) => subscription.name);
    const backlog = await backlogBySubscription(db, subscriptions);
    const deliveries = await listDeliveries(db, { statuses: ['pending', 'failed', 'delivered'], limit: 25 });
    return kit.page(request, reply, 'outbox', 'Outbox', {
      subscriptions: backlog.map((b) => ({ name: b.subscription, pending: b.pending, failed: b.failed, delivered: b.delivered, oldest: b.oldestPendingEventAt ? when(b.oldestPendingEventAt) : '-' })),
      deliveries: deliveries.map((d) => ({
        subscription: d.subscription,
        eventId: d.eventId,
        eventType: d.eventType,
        status: d.status,
        attempts: d.attempts,
        when: d.status === 'delivered' ? when(d.deliveredAt) : d.status === 'failed' ? '-' : when(d.nextAttemptAt),
        webhookId: d.webhookId,
        lastError: d.lastError ? displayValue(deps.app.scrubber.scrub(d.lastError)) : '',
      })),
      smtp: config.mail.smtp !== null,
      pending: rows.filter((r) => r.status === 'pending').length,
      failed: rows.filter((r) => r.status === 'failed').length,
      rows: rows.reverse().map((r) => ({
        id: r.id,
        status: r.status,
        attempts: r.attempts,
        createdAt: when(r.createdAt),
        when: r.status === 'sent' ? when(r.sentAt) : r.status === 'failed' ? '-' : when(r.nextAttemptAt),
        to: displayValue(r.to.join(', ')),
        subject: displayValue(r.subject),
        lastError: r.lastError ? displayValue(deps.app.scrubber.scrub(r.lastError)) : '',
      })),
    });
  });
  app.post('/outbox/send', async (request, reply) => {
    const drain = await drainConfigured({ ...deps.app, ...(deps.transport ? { transport: deps.transport } : {}) }, { ignoreBackoff: true });
    kit.flash(
      request,
      drain === null
        ? 'SMTP_URL is not set: nothing can be sent.'
        : drain.busy
          ? 'Another process is sending the outbox right now.'
          : drain.lastError
            ? `Sent ${drain.sent}; not sent yet: ${drain.pending} (${drain.lastError}). They stay queued and are retried.`
            : `Sent ${drain.sent} email(s); ${drain.pending} pending.`,
    );
    return reply.redirect('/outbox', 303);
  });

  // ---- reports ----
  const thisMonth = () => monthOf(deps.app.clock(), config.timezone);
  const readMonth = (text: string): Month | null => {
    try {
      const month = parseMonth(text);
      return compareMonths(month, thisMonth()) > 0 ? null : month;
    } catch {
      return null;
    }
  };
  /** One rendering per month and minute: the page, its frame, its charts and its CSV are four requests. */
  const rendered = new Map<string, { at: number; report: Promise<RenderedReport> }>();
  const reportOf = (month: Month) => {
    const key = monthKey(month);
    const now = deps.app.clock().getTime();
    const cached = rendered.get(key);
    if (cached && now - cached.at < 60_000) return cached.report;
    const report = makeReport({ db, timezone: config.timezone, staleHours: config.report.staleHours, statistics: statisticsReader(deps.app), now: deps.app.clock() }, month);
    rendered.set(key, { at: now, report });
    report.catch(() => rendered.delete(key));
    return report;
  };
  app.get('/reports', async (request, reply) => {
    const first = await db.selectFrom('sync_run').select((eb) => eb.fn.min('started_at').as('first')).executeTakeFirst();
    const last = thisMonth();
    const start = first?.first ? monthOf(new Date(first.first), config.timezone) : last;
    const months: { key: string; title: string }[] = [];
    for (let m = last; compareMonths(m, start) >= 0 && months.length < 36; m = addMonths(m, -1)) months.push({ key: monthKey(m), title: monthName(m) });
    return kit.page(request, reply, 'reports', 'Reports', { months });
  });
  app.get<{ Params: { month: string } }>('/reports/:month', async (request, reply) => {
    const month = readMonth(request.params.month);
    if (!month) return kit.page(request, reply, 'not-found', 'Not found', { message: 'No report for that month.' }, 404);
    return kit.page(request, reply, 'report', `Report ${monthName(month)}`, { month: monthKey(month), title: monthName(month) });
  });
  app.get<{ Params: { month: string; file: string } }>('/reports/:month/:file', async (request, reply) => {
    const month = readMonth(request.params.month);
    if (!month) return reply.code(404).type('text/plain').send('not found');
    const report = await reportOf(month);
    const file = request.params.file;
    if (file === 'report.html') {
      securityHeaders(reply, REPORT_CSP);
      return reply.type('text/html; charset=utf-8').send(report.html((chart) => `/reports/${monthKey(month)}/${chart.filename}`));
    }
    if (file === 'report.csv' || file === 'onboarding.csv') {
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${file.replace('.csv', '')}-${monthKey(month)}.csv"`)
        .send(file === 'report.csv' ? report.csv : report.onboardingCsv);
    }
    const chart = report.charts.find((c) => c.filename === file);
    if (chart) return reply.type('image/png').send(chart.png);
    return reply.code(404).type('text/plain').send('not found');
  });

  // ---- onboarding links (99digital) ----
  const onboardingPage = async (request: Parameters<PageKit['page']>[0], reply: Parameters<PageKit['page']>[1], extra: { problems?: readonly string[]; form?: Record<string, unknown>; created?: { number: string; link: string; href: string | null } | null }, status = 200) => {
    const made = config.digital99 ? await creators(db) : new Map();
    const lifecycles = config.digital99 ? await readLifecycles(deps.app) : [];
    return kit.page(
      request,
      reply,
      'onboarding',
      'Onboarding links',
      {
        enabled: config.digital99 !== null,
        disabledReason: config.disabledReasons.digital99 ?? '',
        problems: extra.problems ?? [],
        form: extra.form ?? {},
        created: extra.created ?? null,
        lifecycles: lifecycles.map((l) => ({
          href: `/search?q=${encodeURIComponent(l.number)}`,
          number: l.number,
          business: displayValue(l.business ?? ''),
          stage: l.stage,
          age: `${l.ageDays} d`,
          by: displayValue(made.get(l.link)?.by ?? '-'),
          stuck: l.stuck ? displayValue(l.stuckDetail ?? l.stuck) : '',
        })),
      },
      status,
    );
  };
  app.get('/onboarding', async (request, reply) => onboardingPage(request, reply, {}));
  app.post('/onboarding', async (request, reply) => {
    const digital99 = config.digital99;
    if (!digital99) return onboardingPage(request, reply, {}, 409);
    const form: Record<string, string | boolean | undefined> = Object.fromEntries(ONBOARDING_FIELDS.map((name) => [name, field(request.body, name)]));
    form.coexistence = field(request.body, 'coexistence') === '1';
    const wanted: OnboardingLinkRequest = { ...(form as OnboardingLinkRequest), coexistence: form.coexistence, ...(form.coexistence ? { number: undefined } : {}) };
    const checked = validateOnboardingLink(wanted);
    if (!checked.ok) return onboardingPage(request, reply, { problems: checked.problems.map(formWords), form }, 400);
    const client = digital99Client(deps.app.clients, { ...digital99, ...config.http, clock: deps.app.clock, scrubber: deps.app.scrubber });
    client.beginPull();
    let created: Awaited<ReturnType<typeof createOnboardingLink>>;
    try {
      created = await createOnboardingLink(client, digital99.createAccountPath, checked.body);
    } catch (error) {
      if (!(error instanceof WabaSyncError)) throw error;
      const unknown = error instanceof UpstreamError && error.call === 'createAccount' && (error.code === 'UNAVAILABLE' || error.code === 'PAYLOAD');
      const problem = `99digital did not create the link: ${deps.app.scrubber.describe(error)}${unknown ? ' — it may have been created anyway: the next sync shows it; not sent again.' : ''}`;
      return onboardingPage(request, reply, { problems: [problem], form }, 502);
    }
    const by = kit.session(request).user;
    await recordCreated(db, created, checked.body, by, deps.app.clock().toISOString());
    deps.app.log.info({ user: by, number: created.whatsapp }, 'console: onboarding link created');
    // The link is upstream text: shown as a link only when it is an https URL.
    const href = /^https:\/\//i.test(created.onboardingLink) ? created.onboardingLink : null;
    return onboardingPage(request, reply, { created: { number: created.whatsapp, link: created.onboardingLink, href } });
  });
}

/** The shared validator names CLI options ("--business-name"); the form's labels say it in words. */
function formWords(problem: string): string {
  return problem
    .replace(/--coexistence/g, 'Coexistence')
    .replace(/--number/g, 'Number')
    .replace(/--business-name/g, 'Business name')
    .replace(/--display-name/g, 'Display name')
    .replace(/--business-email/g, 'Business email')
    .replace(/--business-id/g, 'Business id')
    .replace(/--business-address/g, 'Business address')
    .replace(/--reference/g, 'Your reference')
    .replace(/--message/g, 'Welcome message')
    .replace(/--logo/g, 'Logo');
}
