/**
 * Prometheus metrics on a registry of our own (never the global one, so tests and several daemons
 * in one process don't share counters). Values that live in the database (last success, outbox
 * depth) are read at scrape time, so they are right even for work done by a one-shot process.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../../db/database.js';
import { lastCompleteRun } from '../sync/ledger.js';
import type { WebhookRejection } from '../sources/upstream.js';
import type { RunResult } from '../sync/run-source.js';
import type { DeliveryMetrics } from '../delivery/dispatcher.js';
import { backlogBySubscription } from '../delivery/store.js';

export interface Metrics {
  readonly registry: Registry;
  recordRun(result: RunResult): void;
  recordJob(job: string, outcome: 'ok' | 'failed' | 'skipped', seconds: number): void;
  recordUnexpectedError(where: string): void;
  /** Upstream usage headers as percentages (e.g. Meta's X-App-Usage call_count). */
  recordUsage(source: string, metric: string, percent: number): void;
  /** The webhook intake (issue 15): what arrived, what was turned away and why, how late it was applied. */
  readonly webhooks: WebhookMetrics;
  /** Outgoing event delivery (issue 19), per subscription (and `chat`). */
  readonly deliveries: DeliveryMetrics;
}


export interface WebhookMetrics {
  received(upstream: string): void;
  rejected(upstream: string, reason: WebhookRejection): void;
  duplicate(upstream: string): void;
  /** A field or event we keep in the inbox but act on in no way. */
  unhandled(upstream: string, field: string): void;
  /** Seconds from a delivery's arrival to the end of its processing. */
  processed(upstream: string, lagSeconds: number): void;
  /** `targeted`: a partial pull of the entities a delivery names; `full`: a full pull it triggered. */
  pull(source: string, kind: 'targeted' | 'full'): void;
}

export function createMetrics(db: Db, sourceNames: () => readonly string[]): Metrics {
  const registry = new Registry();
  const runs = new Counter({ name: 'waba_sync_runs_total', help: 'Source pulls by outcome', labelNames: ['source', 'mode', 'outcome'], registers: [registry] });
  const failures = new Counter({ name: 'waba_sync_run_failures_total', help: 'Failed source pulls by error code', labelNames: ['source', 'code'], registers: [registry] });
  const duration = new Histogram({
    name: 'waba_sync_run_duration_seconds',
    help: 'Duration of source pulls',
    labelNames: ['source', 'mode'],
    buckets: [0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [registry],
  });
  const apiCalls = new Counter({ name: 'waba_sync_api_calls_total', help: 'HTTP requests to upstreams, retries included', labelNames: ['source'], registers: [registry] });
  const retries = new Counter({ name: 'waba_sync_api_retries_total', help: 'HTTP requests to upstreams that were retries', labelNames: ['source'], registers: [registry] });
  const events = new Counter({ name: 'waba_sync_events_total', help: 'Events emitted, by type', labelNames: ['type'], registers: [registry] });
  const jobs = new Counter({ name: 'waba_sync_job_runs_total', help: 'Scheduled job runs by outcome', labelNames: ['job', 'outcome'], registers: [registry] });
  const jobDuration = new Histogram({ name: 'waba_sync_job_duration_seconds', help: 'Duration of scheduled jobs', labelNames: ['job'], buckets: [0.5, 1, 5, 15, 60, 300, 900, 3600], registers: [registry] });
  const unexpected = new Counter({ name: 'waba_sync_unexpected_errors_total', help: 'Unexpected errors caught by the daemon', labelNames: ['where'], registers: [registry] });
  const usage = new Gauge({ name: 'waba_sync_upstream_usage_percent', help: 'Upstream rate-limit usage headers (100 = throttled)', labelNames: ['source', 'metric'], registers: [registry] });

  const webhooks = createWebhookMetrics(registry);
  const deliveries = createDeliveryMetrics(registry, db);

  new Gauge({
    name: 'waba_sync_last_success_timestamp_seconds',
    help: 'End of the last complete pull per source (unix seconds)',
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      this.reset();
      // A database that does not answer leaves the gauge empty rather than failing the scrape
      // (/healthz says why).
      try {
        for (const source of sourceNames()) {
          const row = await lastCompleteRun(db, source);
          if (row?.finished_at) this.set({ source }, Date.parse(row.finished_at) / 1000);
        }
      } catch {
        this.reset();
      }
    },
  });

  new Gauge({
    name: 'waba_sync_webhook_backlog',
    help: 'Webhook deliveries recorded and not yet processed, per upstream',
    labelNames: ['upstream'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db
        .selectFrom('webhook_inbox')
        .select(['upstream', (eb) => eb.fn.countAll<number>().as('n')])
        .where('processed_at', 'is', null)
        .groupBy('upstream')
        .execute()
        .catch(() => null);
      for (const row of rows ?? []) this.set({ upstream: row.upstream }, Number(row.n));
    },
  });

  new Gauge({
    name: 'waba_sync_outbox_emails',
    help: 'Emails in the outbox waiting to be sent (pending) or given up on (failed)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db
        .selectFrom('outbox')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('status', 'in', ['pending', 'failed'])
        .groupBy('status')
        .execute()
        .catch(() => null);
      if (rows === null) return;
      this.set({ status: 'pending' }, 0);
      this.set({ status: 'failed' }, 0);
      for (const row of rows) this.set({ status: row.status }, Number(row.n));
    },
  });

  return {
    registry,
    webhooks,
    deliveries,
    recordRun(result) {
      runs.inc({ source: result.source, mode: result.mode, outcome: result.outcome });
      if (result.outcome === 'failed') failures.inc({ source: result.source, code: result.errorCode ?? 'UNKNOWN' });
      duration.observe({ source: result.source, mode: result.mode }, result.durationMs / 1000);
      apiCalls.inc({ source: result.source }, result.apiCalls);
      retries.inc({ source: result.source }, result.retries);
      for (const [type, n] of Object.entries(result.eventTypes)) events.inc({ type }, n);
    },
    recordJob(job, outcome, seconds) {
      jobs.inc({ job, outcome });
      if (outcome !== 'skipped') jobDuration.observe({ job }, seconds);
    },
    recordUnexpectedError(where) {
      unexpected.inc({ where });
    },
    recordUsage(source, metric, percent) {
      usage.set({ source, metric }, percent);
    },
  };
}

function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const received = new Counter({ name: 'waba_sync_webhook_deliveries_total', help: 'Webhook deliveries authenticated and recorded, duplicates included', labelNames: ['upstream'], registers: [registry] });
  const rejected = new Counter({ name: 'waba_sync_webhook_rejected_total', help: 'Webhook requests turned away, by reason (nothing of them is stored)', labelNames: ['upstream', 'reason'], registers: [registry] });
  const duplicates = new Counter({ name: 'waba_sync_webhook_duplicates_total', help: 'Webhook deliveries whose body was already recorded', labelNames: ['upstream'], registers: [registry] });
  const unhandled = new Counter({ name: 'waba_sync_webhook_unhandled_total', help: 'Webhook fields or events kept in the inbox but acted on in no way', labelNames: ['upstream', 'field'], registers: [registry] });
  const lag = new Histogram({
    name: 'waba_sync_webhook_lag_seconds',
    help: 'From a delivery arriving to its processing ending',
    labelNames: ['upstream'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300],
    registers: [registry],
  });
  const pulls = new Counter({ name: 'waba_sync_webhook_pulls_total', help: 'Pulls started by webhooks: targeted (partial) or full', labelNames: ['source', 'kind'], registers: [registry] });
  return {
    received: (upstream) => received.inc({ upstream }),
    rejected: (upstream, reason) => rejected.inc({ upstream, reason }),
    duplicate: (upstream) => duplicates.inc({ upstream }),
    unhandled: (upstream, field) => unhandled.inc({ upstream, field }),
    processed: (upstream, seconds) => lag.observe({ upstream }, seconds),
    pull: (source, kind) => pulls.inc({ source, kind }),
  };
}

// ---- outgoing event delivery (issue 19) ----

function createDeliveryMetrics(registry: Registry, db: Db): DeliveryMetrics {
  const delivered = new Counter({ name: 'waba_sync_event_deliveries_total', help: 'Events delivered (answered 2xx), per subscription', labelNames: ['subscription'], registers: [registry] });
  const attemptFailures = new Counter({ name: 'waba_sync_event_delivery_attempt_failures_total', help: 'Delivery attempts that failed and will be retried or given up', labelNames: ['subscription'], registers: [registry] });
  const failed = new Counter({ name: 'waba_sync_event_delivery_failed_total', help: 'Deliveries given up on after the retry schedule', labelNames: ['subscription'], registers: [registry] });
  const lag = new Histogram({
    name: 'waba_sync_event_delivery_lag_seconds',
    help: 'From an event being detected to its delivery being answered 2xx',
    labelNames: ['subscription'],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 3600],
    registers: [registry],
  });
  new Gauge({
    name: 'waba_sync_event_delivery_backlog',
    help: 'Deliveries waiting (pending) or given up on (failed), per subscription',
    labelNames: ['subscription', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await backlogBySubscription(db).catch(() => null);
      for (const row of rows ?? []) {
        this.set({ subscription: row.subscription, status: 'pending' }, row.pending);
        this.set({ subscription: row.subscription, status: 'failed' }, row.failed);
      }
    },
  });
  new Gauge({
    name: 'waba_sync_event_delivery_oldest_pending_seconds',
    help: 'Age of the oldest event still waiting for delivery, per subscription (0 when none)',
    labelNames: ['subscription'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await backlogBySubscription(db).catch(() => null);
      for (const row of rows ?? []) this.set({ subscription: row.subscription }, row.oldestPendingEventAt ? Math.max(0, (Date.now() - Date.parse(row.oldestPendingEventAt)) / 1000) : 0);
    },
  });
  return {
    delivered: (subscription, seconds) => {
      delivered.inc({ subscription });
      lag.observe({ subscription }, seconds);
    },
    attemptFailed: (subscription) => attemptFailures.inc({ subscription }),
    failed: (subscription) => failed.inc({ subscription }),
  };
}
