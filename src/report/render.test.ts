import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditReport, type AuditedPod } from './audit-report.js';
import { checkReport, type CheckedObject, type CheckedFinding } from './check-report.js';
import { renderAuditHtml, chart, h } from './render-audit-html.js';
import { renderAuditTable } from './render-audit-table.js';
import { renderCheckTable } from './render-check-table.js';
import { renderSarif } from './render-sarif.js';

const finding = (outcome: CheckedFinding['outcome'], extra: Partial<CheckedFinding> = {}): CheckedFinding => ({
  policy: 'prod',
  rule: 'noShell',
  outcome,
  container: { kind: 'container', name: 'web', image: 'debian:12' },
  message: 'image has a shell: /bin/sh',
  ...(outcome === 'Exempt' ? { reason: 'legacy' } : { fix: 'use distroless' }),
  ...extra,
});

const object = (over: Partial<CheckedObject>): CheckedObject => ({
  source: { file: 'deploy/web.yaml', line: 3, column: 1, document: 2 },
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: 'shop',
  name: 'web',
  decision: 'allowed',
  warnings: [],
  findings: [],
  patch: [],
  diff: '',
  ...over,
});

const report = checkReport(
  [
    object({
      decision: 'denied',
      denial: '[prod/noShell] container "web" (debian:12): …',
      findings: [finding('Enforce', { position: { line: 20, column: 18 } })],
    }),
    object({
      name: 'api',
      decision: 'allowed-with-warnings',
      warnings: ['[distroless-guard] prod/noShell would deny container web: image has a shell: /bin/sh'],
      findings: [
        finding('DryRun'),
        finding('Exempt', { rule: 'noPackageManager' }),
        finding('NotChecked', { rule: 'nonRoot', message: 'image not inspected' }),
        finding('NotChecked', { rule: 'nonRoot', message: 'image not inspected', container: { kind: 'container', name: 'log', image: 'fluent-bit:3' } }),
      ],
      patch: [{ op: 'add', path: '/spec/template/spec/containers/0/securityContext', value: { runAsNonRoot: true } }],
      diff: '--- a\n+++ b\n@@ -1 +1,2 @@\n x\n+y\n',
    }),
    object({ kind: 'Service', name: 'web', decision: 'skipped', skipped: 'kind Service is not judged' }),
  ],
  2,
);

describe('check: table', () => {
  const text = renderCheckTable(report);

  it('heads each object with its decision, kind, namespace/name and file:line', () => {
    assert.match(text, /^DENIED {4}Deployment shop\/web {2}deploy\/web\.yaml:3$/m);
    assert.match(text, /^WARNINGS {2}Deployment shop\/api {2}deploy\/web\.yaml:3$/m);
    assert.match(text, /^SKIPPED {3}Service shop\/web {2}deploy\/web\.yaml:3 {2}\(kind Service is not judged\)$/m);
  });

  it('lists violations (enforced, DryRun) with the fix and the image line, warnings as kubectl prints them, exemptions, and the patch twice', () => {
    assert.match(text, /denied: {2}\[prod\/noShell\] container "web" \(debian:12\): image has a shell: \/bin\/sh\. Fix: use distroless {2}\(line 20\)/);
    assert.match(text, /dry-run: \[prod\/noShell\] container "web" \(debian:12\): image has a shell: \/bin\/sh\. Fix: use distroless$/m);
    assert.match(text, /^ {2}Warning: \[distroless-guard\] prod\/noShell would deny container web: image has a shell: \/bin\/sh$/m);
    assert.match(text, /exempt: {2}\[prod\/noPackageManager\] container "web" \(debian:12\): image has a shell: \/bin\/sh \(legacy\)/);
    assert.match(
      text,
      /patch \(1 JSON Patch operation\):\n {4}\{"op":"add","path":"\/spec\/template\/spec\/containers\/0\/securityContext","value":\{"runAsNonRoot":true\}\}/,
    );
    assert.match(text, /diff:\n {4}--- a\n {4}\+\+\+ b\n {4}@@ -1 \+1,2 @@\n {5}x\n {4}\+y\n/);
  });

  it('lists the rules not checked once per policy, rule and reason, naming the containers', () => {
    assert.match(text, /^ {2}not checked: \[prod\/nonRoot\] containers web, log: image not inspected$/m);
  });

  it('ends with a summary line', () => {
    assert.equal(text.trimEnd().split('\n').at(-1), '2 objects judged: 1 denied, 1 allowed with warnings, 0 allowed; 1 not judged; 2 images inspected');
  });
});

describe('check: SARIF', () => {
  const sarif = renderSarif(report, (file) => `repo/${file}`);
  const results = sarif.runs[0]?.results ?? [];

  it('describes every rule once, with a severity for code-scanning UIs', () => {
    assert.deepEqual(
      sarif.runs[0]?.tool.driver.rules.map((r) => r.id),
      ['noShell', 'noPackageManager', 'nonRoot', 'noPrivilegeEscalation', 'noDebugTag', 'noDebugContainers'],
    );
  });

  it('one result per finding: Enforce is an error, DryRun a warning, NotChecked a note, an exemption a suppressed note', () => {
    assert.deepEqual(
      results.map((r) => [r.ruleId, r.level, r.suppressions?.[0]?.justification ?? null]),
      [
        ['noShell', 'error', null],
        ['noShell', 'warning', null],
        ['noPackageManager', 'note', 'legacy'],
        ['nonRoot', 'note', null],
        ['nonRoot', 'note', null],
      ],
    );
  });

  it('points at the image line when known, else at the object', () => {
    const regions = results.map((r) => (r.locations[0] as { physicalLocation: { artifactLocation: { uri: string }; region: unknown } }).physicalLocation);
    assert.deepEqual(regions[0], { artifactLocation: { uri: 'repo/deploy/web.yaml' }, region: { startLine: 20, startColumn: 18 } });
    assert.deepEqual(regions[1]?.region, { startLine: 3, startColumn: 1 });
  });
});

const auditPods: AuditedPod[] = [
  {
    namespace: 'shop',
    name: 'web-1',
    workload: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web<script>' },
    decision: 'denied',
    findings: [
      {
        policy: 'prod',
        rule: 'noShell',
        outcome: 'Enforce',
        container: { kind: 'container', name: 'web', image: 'debian:12' },
        message: 'a "shell" & <more>',
        fix: 'rebuild',
      },
    ],
    warnings: [],
    policies: ['prod'],
  },
  {
    namespace: 'shop',
    name: 'api-1', workload: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'api' },
    decision: 'allowed', findings: [], warnings: [], policies: ['prod'],
  },
  {
    namespace: 'kube-system',
    name: 'p', workload: { apiVersion: 'v1', kind: 'Pod', namespace: 'kube-system', name: 'p' }, decision: 'allowed',
    findings: [], warnings: [], policies: [],
  },
];
const audit = auditReport(auditPods, { generatedAt: new Date('2025-01-02T03:04:05Z'), context: 'prod-cluster', policies: ['prod'], images: 2, digests: 2 });

describe('audit: table', () => {
  it('a row per workload, the reasons of each denial, the summary line', () => {
    const text = renderAuditTable(audit);
    assert.match(text, /^NAMESPACE +WORKLOAD +PODS +DECISION +VIOLATED RULES$/m);
    assert.match(text, /^shop +Deployment\/web<script> +1 +DENIED +prod\/noShell$/m);
    assert.match(text, /^kube-system +Pod\/p +1 +NOT COVERED$/m);
    assert.match(
      text,
      /^Deployment shop\/web<script> would be denied:\n {2}\[prod\/noShell\] container "web" \(debian:12\): a "shell" & <more>\. Fix: rebuild$/m,
    );
    assert.equal(
      text.trimEnd().split('\n').at(-1),
      '3 pods in 3 workloads across 2 namespaces: 1 would be denied, 1 compliant, 1 not covered by any policy; 2 images inspected (2 digests)',
    );
  });
});

describe('audit: HTML', () => {
  const page = renderAuditHtml(audit);

  it('escapes every name and message', () => {
    assert.equal(h(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
    assert.ok(!page.includes('<script>'), 'no markup from cluster data');
    assert.ok(page.includes('web&#60;script&#62;'));
    assert.ok(page.includes('a &#34;shell&#34; &#38; &#60;more&#62;'));
  });

  it('is self-contained: no script, no external URL, no stylesheet or image link', () => {
    assert.doesNotMatch(page, /https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\/|<script|<link|<img|<iframe|@import|url\(/i);
  });

  it('draws a bar per namespace: denied, compliant and not-covered segments sized by count', () => {
    const svg = chart(audit.namespaces);
    assert.match(svg, /^<svg class="chart"/);
    const rects = [...svg.matchAll(/<rect x="[\d.]+" y="\d+" width="([\d.]+)" height="20" fill="(#[0-9a-f]+)"><title>([^<]+)<\/title>/g)].map((m) => [
      m[3],
      Number(m[1]),
      m[2],
    ]);
    assert.deepEqual(rects, [
      ['kube-system: 1 not covered', 240, '#9e9e9e'],
      ['shop: 1 denied', 240, '#c62828'],
      ['shop: 1 compliant', 240, '#2e7d32'],
    ]);
  });
});
