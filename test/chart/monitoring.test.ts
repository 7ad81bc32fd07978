/**
 * The monitoring objects hold up: every alert rule and every dashboard query parses with Prometheus's own parsers
 * (test/tools/promql: model/rulefmt and promql/parser, what `promtool check rules` runs), and every metric and label
 * they name is one the guard exports (read from src/observe/metrics.ts's registry, not from a list kept here).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { createMetrics, RESERVED_LABEL_NAMES } from '../../src/observe/metrics.js';
import { builtTool, CHART, ROOT } from '../support/helm.js';

const run = promisify(execFile);

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}
const ruleSpec = async () =>
  (parse(await readFile(join(ROOT, 'manifests/components/monitoring/prometheusrule.yaml'), 'utf8')) as { spec: { groups: Array<{ rules: Rule[] }> } }).spec;
const rules = async () => (await ruleSpec()).groups.flatMap((g) => g.rules);

/** Dashboard queries with Grafana's variables replaced by what Grafana substitutes (a duration, a regex). */
async function dashboardQueries(): Promise<string[]> {
  const dashboard = JSON.parse(await readFile(join(CHART, 'dashboards/distroless-guard.json'), 'utf8')) as {
    panels: Array<{ targets?: Array<{ expr: string }> }>;
  };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr.replaceAll('$__rate_interval', '5m').replaceAll('$namespace', '.*')));
}

/** `promql-check` on a file or on standard input: exit code and output. */
async function promqlCheck(args: readonly string[], input?: string): Promise<{ code: number; output: string }> {
  const binary = await builtTool('promql-check.sh');
  const child = run(binary, [...args]);
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Metric families the guard exports, with their label names, from the exposition's # TYPE lines and samples. */
async function exported(): Promise<Map<string, Set<string>>> {
  const metrics = createMetrics({ build: { version: '0.0.0', revision: 'test' } });
  // One of each labelled series, so that every label name shows in a sample line.
  metrics.observeAdmission('validate', 'error', 0.01);
  metrics.ruleDecisions.inc({ policy: 'p', rule: 'r', action: 'Enforce', resource_namespace: 'n' });
  const text = await metrics.render();
  const families = new Map<string, Set<string>>();
  for (const [, name = '', type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const names =
      type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : type === 'summary' ? [name, `${name}_sum`, `${name}_count`] : [name];
    for (const n of names) families.set(n, new Set(type === 'histogram' && n.endsWith('_bucket') ? ['le'] : []));
  }
  for (const metric of metrics.registry.getMetricsAsArray()) {
    const labels = (metric as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
    for (const suffix of ['', '_bucket', '_sum', '_count']) for (const l of labels) families.get(`${metric.name}${suffix}`)?.add(l);
  }
  for (const [, name = '', labels = ''] of text.matchAll(/^(distroless_guard_\w+)\{([^}]*)\}/gm)) {
    for (const [, label = ''] of labels.matchAll(/(\w+)="/g)) families.get(name)?.add(label);
  }
  return families;
}

/** Series Prometheus makes itself, and the target labels prometheus-operator adds to every series. */
const PROMETHEUS_SERIES = new Set(['up']);
const TARGET_LABELS = new Set([...RESERVED_LABEL_NAMES, 'job']);

describe("alert rules and dashboard queries parse with Prometheus's parsers", () => {
  it('the PrometheusRule: every group, rule, duration, expression and annotation template', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dg-rules-'));
    try {
      const file = join(dir, 'rules.yaml');
      await writeFile(file, stringify(await ruleSpec()));
      const result = await promqlCheck(['rules', file]);
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, new RegExp(`1 groups, ${(await rules()).length} rules`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the checker refuses what promtool refuses (a broken expression, an unknown field, a broken template)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dg-rules-'));
    try {
      const cases: Array<[string, Rule & Record<string, unknown>]> = [
        ['unbalanced parenthesis', { alert: 'A', expr: 'sum(rate(x[5m])' }],
        ['unknown field', { alert: 'A', expr: 'up == 0', severity: 'warning' }],
        ['broken template', { alert: 'A', expr: 'up == 0', annotations: { summary: '{{ $labels.pod ' } }],
      ];
      for (const [name, rule] of cases) {
        const file = join(dir, 'bad.yaml');
        await writeFile(file, stringify({ groups: [{ name: 'g', rules: [rule] }] }));
        assert.notEqual((await promqlCheck(['rules', file])).code, 0, name);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('every query of the Grafana dashboard', async () => {
    const queries = await dashboardQueries();
    assert.ok(queries.length >= 12, `${queries.length} queries`);
    const result = await promqlCheck(['exprs'], `${queries.join('\n')}\n`);
    assert.equal(result.code, 0, result.output);
  });
});

describe('they name only metrics and labels the guard exports', () => {
  for (const [what, texts] of [
    ['the alert rules', async () => (await rules()).map((r) => r.expr)],
    ['the dashboard', dashboardQueries],
  ] as const) {
    it(`${what}: every metric is in the registry of src/observe/metrics.ts; every grouping or matched label is its own or a target label`, async () => {
      const families = await exported();
      const problems: string[] = [];
      let named = 0;
      for (const expr of await texts()) {
        const metrics = [...expr.matchAll(/\bdistroless_guard_\w+|\bup(?=\{)/g)].map((m) => m[0]);
        for (const metric of metrics) {
          named++;
          if (!PROMETHEUS_SERIES.has(metric) && !families.has(metric)) problems.push(`${metric}: not exported`);
        }
        const own = new Set(metrics.flatMap((m) => [...(families.get(m) ?? [])]));
        const labels = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => (m[1] ?? '').split(',').map((l) => l.trim()));
        labels.push(...[...expr.matchAll(/(\w+)(=~|!=|=)"/g)].map((m) => m[1] ?? ''));
        for (const label of labels)
          if (!own.has(label) && !TARGET_LABELS.has(label) && label !== 'le') problems.push(`${label} (in ${expr.slice(0, 80)}…): no such label`);
      }
      assert.ok(named >= 5, `${named} metric references found`);
      assert.deepEqual(problems, []);
    });
  }

  it('the rules alert on what docs/operations.md promises: certificate expiry and renewal failures, errors, latency, registry failures, down', async () => {
    const all = (await rules()).map((r) => r.expr).join('\n');
    for (const metric of [
      'distroless_guard_tls_certificate_not_after_timestamp_seconds',
      'distroless_guard_certificate_errors_total',
      'distroless_guard_admission_requests_total',
      'distroless_guard_admission_duration_seconds_bucket',
      'distroless_guard_registry_errors_total',
      'up',
    ]) {
      assert.ok(all.includes(metric), metric);
    }
    for (const rule of await rules()) assert.ok(['warning', 'critical'].includes(rule.labels?.['severity'] ?? ''), `${rule.alert}: severity`);
  });
});
