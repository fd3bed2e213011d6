/**
 * deploy/grafana-dashboard.json and deploy/prometheus-alerts.yml name metrics; each must be one a
 * running daemon's /metrics exposes (a histogram's _bucket, _sum and _count series count as its own).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import parsePrometheus from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startDaemon } from '../../src/daemon/runtime.js';
import { digital99Harness } from '../helpers/digital99.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
  datasource?: { uid: string };
}
const dashboard = JSON.parse(read('deploy/grafana-dashboard.json')) as { panels: Panel[]; __inputs: { name: string }[]; title: string; uid: string };
const alerts = parseYaml(read('deploy/prometheus-alerts.yml')) as { groups: { name: string; rules: { alert: string; expr: string; for?: string }[] }[] };
const rules = alerts.groups.flatMap((group) => group.rules);

/** The metric names an expression uses (ours all start with waba_sync_). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bwaba_sync_[a-z0-9_]+\b/g)].map((match) => match[0]);
}

/** What a running daemon serves on /metrics: the family names and their types. */
async function exposedFamilies(): Promise<Map<string, string>> {
  const h = await digital99Harness({ env: { HTTP_PORT: '0' } });
  h.world.addNumber();
  const daemon = await startDaemon(h.app, { jobs: [] });
  try {
    await h.sync();
    const response = await fetch(`http://127.0.0.1:${daemon.port}/metrics`);
    expect(response.status).toBe(200);
    return new Map(parsePrometheus(await response.text()).map((family) => [family.name, family.type]));
  } finally {
    await daemon.stop();
  }
}

/** A name as exposed: itself, or the histogram it is a series of. */
function exposes(families: Map<string, string>, name: string): boolean {
  if (families.has(name)) return true;
  const histogram = /^(.*)_(bucket|sum|count)$/.exec(name);
  return histogram !== null && families.get(histogram[1]!) === 'HISTOGRAM';
}

describe('dashboard and alerts', () => {
  it('use only metric names a running daemon exposes on /metrics', async () => {
    const families = await exposedFamilies();
    const used = new Set([...dashboard.panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricNames(target.expr))), ...rules.flatMap((rule) => metricNames(rule.expr))]);
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(exposes(families, name), name).toBe(true);
  });

  it('the dashboard is importable and shows pulls, durations, failures, freshness, API calls, retries, throttling, events, outbox and webhooks', () => {
    expect(dashboard.title).toBe('waba-sync');
    expect(dashboard.__inputs.map((input) => input.name)).toEqual(['DS_PROMETHEUS']);
    const graphs = dashboard.panels.filter((panel) => panel.type !== 'row');
    for (const panel of graphs) expect(panel.datasource?.uid, panel.title).toBe(`\${DS_PROMETHEUS}`);
    const shown = new Set(graphs.flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricNames(target.expr))));
    for (const name of [
      'waba_sync_runs_total',
      'waba_sync_run_duration_seconds_bucket',
      'waba_sync_run_failures_total',
      'waba_sync_last_success_timestamp_seconds',
      'waba_sync_api_calls_total',
      'waba_sync_api_retries_total',
      'waba_sync_upstream_usage_percent',
      'waba_sync_events_total',
      'waba_sync_outbox_emails',
      'waba_sync_webhook_deliveries_total',
      'waba_sync_webhook_lag_seconds_bucket',
    ]) {
      expect(shown.has(name), name).toBe(true);
    }
  });

  it('the alerts cover a stale source, failing pulls, a stuck outbox, throttling and rejected webhooks', () => {
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(['WabaSyncSourceStale', 'WabaSyncPullsFailing', 'WabaSyncOutboxStuck', 'WabaSyncUpstreamThrottling', 'WabaSyncWebhooksRejected']),
    );
  });

  it.runIf(spawnSync('promtool', ['--version']).status === 0)('pass promtool check rules', () => {
    const check = spawnSync('promtool', ['check', 'rules', 'deploy/prometheus-alerts.yml'], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain('SUCCESS');
    expect(check.status).toBe(0);
  });
});
