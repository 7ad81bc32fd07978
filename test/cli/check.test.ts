/**
 * `distroless-guard check` over real-world-shaped manifests (helm-style multi-document streams, a Deployment, a
 * CronJob, a List in JSON, broken YAML) against the real test registry: decisions, exit codes, the JSON output
 * held to schemas/check-report.schema.json and the SARIF output held to the SARIF 2.1.0 schema.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import type { CheckReport } from '../../src/report/check-report.js';
import type { SarifLog } from '../../src/report/render-sarif.js';
import { schemaErrors } from '../support/json-schemas.js';
import { testRegistryWithImages, type SeededRegistry } from '../support/seeded.js';
import { textSink } from '../support/text-sink.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/manifests');
const LAUNCHER = resolve(import.meta.dirname, '../../bin/distroless-guard');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function check(args: readonly string[], options: { stdin?: string; tty?: boolean } = {}): Promise<Run> {
  const out = textSink();
  const err = textSink(options.tty ?? false);
  const code = await main(['check', ...args], {
    stdout: out.stream,
    stderr: err.stream,
    ...(options.stdin === undefined ? {} : { stdin: Readable.from([options.stdin]) }),
    env: { HOME: '/nonexistent' },
    cwd: FIXTURES,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

function report(run: Run): CheckReport {
  const parsed: unknown = JSON.parse(run.stdout);
  assert.deepEqual(schemaErrors.checkReport(parsed), [], 'the JSON output validates against schemas/check-report.schema.json');
  return parsed as CheckReport;
}

const fixture = (path: string): Promise<string> => readFile(resolve(FIXTURES, path), 'utf8');
/** The 1-based line of the first line of `path` that contains `text`. */
async function lineOf(path: string, text: string): Promise<number> {
  const index = (await fixture(path)).split('\n').findIndex((l) => l.includes(text));
  assert.notEqual(index, -1, `${path} has ${text}`);
  return index + 1;
}

let registry: SeededRegistry;
let mirror: string[];
const POLICY = ['--policy', 'policy.yaml'];

before(async () => {
  registry = await testRegistryWithImages();
  // The manifests name registry.example.com, as a team's would; the mirror flag sends those pulls to the test registry.
  mirror = ['--mirror', `registry.example.com=${registry.host}`];
});

describe('check: decisions and exit codes', () => {
  it(
    'a Deployment on a Debian image in an enforcing namespace is denied by each rule it breaks, at its image line, ' +
      'with the patch the mutating webhook would apply; exit 1',
    async () => {
      const run = await check(['-f', 'shop/web.yaml', ...POLICY, ...mirror, '--format', 'json']);
      assert.equal(run.code, 1, run.stderr);
      const { objects, summary } = report(run);
      assert.deepEqual(
        objects.map((o) => [o.kind, o.name, o.decision, o.source.line]),
        [
          ['Namespace', 'shop', 'skipped', 2],
          ['Service', 'web', 'skipped', 7],
          ['Deployment', 'web', 'denied', 22],
          ['ConfigMap', 'web-config', 'skipped', 48],
        ],
      );
      assert.deepEqual(summary, { objects: 4, allowed: 0, allowedWithWarnings: 0, denied: 1, skipped: 3, images: 1 });
      const web = objects[2];
      assert.ok(web);
      const imageLine = await lineOf('shop/web.yaml', 'image:');
      assert.deepEqual(
        web.findings.map((f) => [f.policy, f.rule, f.outcome, f.position?.line]),
        [
          ['prod', 'noShell', 'Enforce', imageLine],
          ['prod', 'noPackageManager', 'Enforce', imageLine],
          ['prod', 'nonRoot', 'Enforce', imageLine],
        ],
      );
      // One finding per line (kube-apiserver shows Status.message as is, after its own "denied the request:").
      const denial = (web.denial ?? '').split('\n');
      assert.deepEqual(
        denial.map((line) => /^\[prod\/(\w+)\] container "web" \(/.exec(line)?.[1]),
        ['noShell', 'noPackageManager', 'nonRoot'],
      );
      assert.match(
        denial[0] ?? '',
        /image has a shell: \/usr\/bin\/bash.*\. Fix: build FROM gcr\.io\/distroless\/base-debian12:nonroot \(glibc found on Debian 12\)$/,
      );
      assert.doesNotMatch(web.denial ?? '', /denied the request/);
      const digest = registry.get('debian-full:12').digest;
      assert.deepEqual(web.patch[0], { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `registry.example.com/debian-full:12@${digest}` });
      assert.match(
        web.diff,
        new RegExp(`^-          image: registry.example.com/debian-full:12\n\\+          image: registry.example.com/debian-full:12@${digest}$`, 'm'),
      );
      assert.match(web.warnings.join('\n'), /root image in container "web".*no rootFallbackUid/);
    },
  );

  it('a Deployment and a CronJob that would be admitted exit 0: one clean with its patch, one with the warnings of a DryRun policy', async () => {
    const run = await check(['-f', 'shop/api.yaml', '-f', 'batch/cronjob.yaml', ...POLICY, ...mirror, '--format', 'json']);
    assert.equal(run.code, 0, run.stderr);
    const { objects } = report(run);
    assert.deepEqual(objects.map((o) => [o.kind, o.namespace, o.name, o.decision]), [
      ['Deployment', 'shop', 'api', 'allowed'],
      ['CronJob', 'batch', 'nightly-report', 'allowed-with-warnings'],
    ]);
    const [api, cron] = objects;
    assert.deepEqual(api?.patch[1], {
      op: 'add',
      path: '/spec/template/spec/containers/0/securityContext',
      value: {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        seccompProfile: { type: 'RuntimeDefault' },
        capabilities: { drop: ['ALL'] },
        runAsUser: 65532,
        runAsGroup: 65532,
      },
    });
    assert.deepEqual(
      cron?.findings.map((f) => [f.policy, f.rule, f.outcome]),
      [
        ['everywhere', 'noShell', 'DryRun'],
        ['everywhere', 'noPackageManager', 'DryRun'],
        ['everywhere', 'nonRoot', 'DryRun'],
        ['everywhere', 'noPrivilegeEscalation', 'DryRun'],
      ],
    );
    assert.match(
      cron?.warnings[0] ?? '',
      /^\[distroless-guard\] everywhere\/noShell would deny container report: image has a shell: \/busybox\/ash and 2 more$/,
    );
    for (const w of cron?.warnings ?? []) assert.ok(w.length <= 120, `over the 120-character warning budget: ${w}`);
    assert.equal(cron?.findings[0]?.position?.line, await lineOf('batch/cronjob.yaml', 'image:'));
  });

  it(
    'the validating webhook judges the object as mutated: runAsNonRoot on a named image user passes once the patch sets the uid from its /etc/passwd',
    async () => {
      const run = await check(['-f', 'list.json', ...POLICY, ...mirror, '--format', 'json']);
      assert.equal(run.code, 0, run.stderr);
      const { objects } = report(run);
      assert.deepEqual(
        objects.map((o) => [o.name, o.source.item, o.decision]),
        [
          ['named-user', 0, 'allowed'],
          ['gone', 1, 'allowed-with-warnings'],
        ],
      );
      assert.equal(objects[0]?.findings.length, 0);
      assert.match(JSON.stringify(objects[0]?.patch), /"runAsUser":65532/);
    },
  );

  it('an image the registry does not have is decided by failurePolicy Ignore: admitted, each image rule NotChecked with the reason', async () => {
    const { objects } = report(await check(['-f', 'list.json', ...POLICY, ...mirror, '--format', 'json']));
    const gone = objects[1];
    assert.deepEqual(
      gone?.findings.filter((f) => f.outcome === 'NotChecked').map((f) => f.rule),
      ['noShell', 'noPackageManager', 'nonRoot'],
    );
    assert.match(gone?.findings[0]?.message ?? '', /could not inspect image: .*tag 1 of registry\.example\.com\/no-such\/image does not exist \(404\)/);
    assert.equal(gone?.source.line, (await lineOf('list.json', '"name": "gone"')) - 3, 'the item starts at its "{"');
  });

  it(
    'a directory read recursively, as SARIF 2.1.0 (schema-valid): every finding at the line of its image, DryRun and NotChecked findings not as errors',
    async () => {
      const run = await check(['-f', '.', '-R', ...POLICY, ...mirror, '--format', 'sarif']);
      assert.equal(run.code, 1, run.stderr);
      const sarif = JSON.parse(run.stdout) as SarifLog;
      assert.deepEqual(schemaErrors.sarif(sarif), [], 'validates against the SARIF 2.1.0 schema');
      const results = sarif.runs[0]?.results ?? [];
      const at = (r: (typeof results)[number]) =>
        (r.locations[0] as { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }).physicalLocation;
      const webLine = await lineOf('shop/web.yaml', 'image:');
      const cronLine = await lineOf('batch/cronjob.yaml', 'image:');
      assert.deepEqual(
        results.filter((r) => at(r).artifactLocation.uri === 'shop/web.yaml').map((r) => [r.ruleId, r.level, at(r).region.startLine]),
        [
          ['noShell', 'error', webLine],
          ['noPackageManager', 'error', webLine],
          ['nonRoot', 'error', webLine],
        ],
      );
      assert.deepEqual(
        [...new Set(results.filter((r) => at(r).artifactLocation.uri === 'batch/cronjob.yaml').map((r) => `${r.level}@${at(r).region.startLine}`))],
        [`warning@${cronLine}`],
      );
      assert.ok(
        results.some((r) => at(r).artifactLocation.uri === 'list.json' && r.level === 'note'),
        'NotChecked findings are notes',
      );
    },
  );

  it('reads - from standard input (helm template | check -f -), naming it <stdin>', async () => {
    const stream = `${await fixture('batch/cronjob.yaml')}---\n${await fixture('shop/web.yaml')}`;
    const run = await check(['-f', '-', ...POLICY, ...mirror, '--format', 'json'], { stdin: stream });
    assert.equal(run.code, 1, run.stderr);
    const { objects } = report(run);
    assert.deepEqual(objects.filter((o) => o.decision !== 'skipped').map((o) => [o.source.file, o.source.document, o.name, o.decision]), [
      ['<stdin>', 1, 'nightly-report', 'allowed-with-warnings'],
      ['<stdin>', 4, 'web', 'denied'],
    ]);
  });

  it('the table shows each decision, the rules and the patch, and ends with a summary line', async () => {
    const run = await check(['-f', 'shop/web.yaml', '-f', 'shop/api.yaml', ...POLICY, ...mirror]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^DENIED {4}Deployment shop\/web {2}shop\/web\.yaml:22$/m);
    assert.match(
      run.stdout,
      new RegExp(
        String.raw`^ {2}denied: {2}\[prod\/noShell\] container "web" \(registry\.example\.com\/debian-full:12@sha256:[0-9a-f]{64}\): ` +
          String.raw`image has a shell: .* {2}\(line 42\)$`,
        'm',
      ),
    );
    assert.match(run.stdout, /^ALLOWED {3}Deployment shop\/api {2}shop\/api\.yaml:1$/m);
    assert.match(
      run.stdout,
      /^ {2}diff:\n {4}--- Deployment shop\/api \(as written\)\n {4}\+\+\+ Deployment shop\/api \(as the mutating webhook would patch it\)$/m,
    );
    assert.equal(run.stdout.trimEnd().split('\n').at(-1), '2 objects judged: 1 denied, 0 allowed with warnings, 1 allowed; 3 not judged; 2 images inspected');
  });
});

describe('check: offline, with the embedded default policy and namespace labels', () => {
  const debugPod =
    'apiVersion: v1\nkind: Pod\nmetadata: {name: probe, namespace: shop}\nspec:\n  containers:\n    - {name: probe, image: gcr.io/distroless/static:debug}\n';

  it('a :debug image is refused in a namespace --namespace-labels makes production', async () => {
    const run = await check(['-f', '-', '--offline', '--namespace-labels', 'shop=environment=production', '--format', 'json'], { stdin: debugPod });
    assert.equal(run.code, 1, run.stderr);
    const { objects, summary } = report(run);
    assert.deepEqual(objects[0]?.findings.filter((f) => f.outcome === 'Enforce').map((f) => `${f.policy}/${f.rule}`), ['default/noDebugTag']);
    assert.equal(summary.images, 0, 'nothing inspected offline');
  });

  it('the same pod elsewhere (or without the label) is admitted with warnings', async () => {
    const run = await check(['-f', '-', '--offline', '--format', 'json'], { stdin: debugPod });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(report(run).objects[0]?.decision, 'allowed-with-warnings');
  });

  // A :nonroot image passes nonRoot once inspected: offline, rules that need the image say NotChecked, never deny.
  const nonrootPod = (securityContext: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: py, namespace: shop}\nspec:\n  containers:\n` +
    `    - {name: app, image: gcr.io/distroless/python3-debian13:nonroot${securityContext}}\n`;
  const HARDENED = ', securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}';
  let enforcing: string;
  before(async () => {
    enforcing = await mkdtemp(join(tmpdir(), 'dg-check-offline-'));
    const policy =
      'apiVersion: distroless-guard.io/v1alpha1\nkind: DistrolessPolicy\nmetadata: {name: strict}\nspec:\n  mode: Enforce\n  mutate: {action: Disabled}\n';
    await writeFile(join(enforcing, 'policy.yaml'), policy);
  });
  after(() => rm(enforcing, { recursive: true, force: true }));

  it('a :nonroot image under the default policy: nonRoot, noShell, noPackageManager, noDebugTag NotChecked, and not warned', async () => {
    const run = await check(['-f', '-', '--offline', '--namespace-labels', 'shop=environment=production', '--format', 'json'], { stdin: nonrootPod('') });
    assert.equal(run.code, 0, run.stderr);
    const [object] = report(run).objects;
    assert.deepEqual(object?.findings.map((f) => [f.rule, f.outcome, f.message]), [
      ['noShell', 'NotChecked', 'image not inspected'],
      ['noPackageManager', 'NotChecked', 'image not inspected'],
      ['nonRoot', 'NotChecked', 'image not inspected'],
      ['noPrivilegeEscalation', 'DryRun', 'allowPrivilegeEscalation unset, no drop ALL'],
      ['noDebugTag', 'NotChecked', 'image not inspected'],
    ]);
    assert.deepEqual(object?.warnings.filter((w) => /noShell|noPackageManager|nonRoot|noDebugTag/.test(w)), []);
  });

  it('under an Enforce policy it is admitted (exit 0), NotChecked in the table and a note in SARIF', async () => {
    const args = ['-f', '-', '--offline', '--policy', join(enforcing, 'policy.yaml')];
    const table = await check(args, { stdin: nonrootPod(HARDENED) });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ALLOWED {3}Pod shop\/py {2}<stdin>:1$/m);
    assert.match(table.stdout, /^ {2}not checked: \[strict\/nonRoot\] container app: image not inspected$/m);
    const json = report(await check([...args, '--format', 'json'], { stdin: nonrootPod(HARDENED) }));
    assert.deepEqual(json.summary, { objects: 1, allowed: 1, allowedWithWarnings: 0, denied: 0, skipped: 0, images: 0 });
    const sarif = JSON.parse((await check([...args, '--format', 'sarif'], { stdin: nonrootPod(HARDENED) })).stdout) as SarifLog;
    assert.deepEqual(sarif.runs[0]?.results.map((r) => [r.ruleId, r.level]), [['noShell', 'note'], ['noPackageManager', 'note'], ['nonRoot', 'note']]);
  });

  it('-n sets the namespace of objects that name none', async () => {
    const run = await check(['-f', '-', '--offline', '-n', 'team-a', '--format', 'json'], {
      stdin: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: x}]}\n',
    });
    assert.equal(report(run).objects[0]?.namespace, 'team-a');
  });
});

describe('check: input and usage errors exit 2 with one line each', () => {
  const cases: [string, () => string[], string | undefined, RegExp][] = [
    [
      'broken YAML names the file, line and column',
      () => ['-f', '../broken.yaml'], undefined, /^distroless-guard check: \.\.\/broken\.yaml:11:1: invalid YAML: /,
    ],
    [
      'a malformed pod spec names the object and its place',
      () => ['-f', '-', '--offline'],
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: nginx\n',
      /^distroless-guard check: <stdin>:1:1: Pod p: spec\.containers must be an array$/,
    ],
    [
      'a document that is not a Kubernetes object',
      () => ['-f', '-', '--offline'], '- a\n- b\n',
      /^distroless-guard check: <stdin>:1:1: document 1 is not a Kubernetes object \(a sequence\)$/,
    ],
    ['no -f at all', () => [], undefined, /no manifests: give -f PATH/],
    ['a missing file', () => ['-f', 'nope.yaml'], undefined, /^distroless-guard check: nope\.yaml: no such file or directory$/],
    ['an unknown format', () => ['-f', 'shop/api.yaml', '--format', 'xml'], undefined, /--format xml: expected one of table, json, yaml, sarif/],
    [
      'malformed namespace labels',
      () => ['-f', 'shop/api.yaml', '--namespace-labels', 'shop'], undefined,
      /--namespace-labels "shop": expected NAMESPACE=key=value/,
    ],
    ['an invalid policy file', () => ['-f', 'shop/api.yaml', '--policy', 'shop/api.yaml'], undefined, /shop\/api\.yaml: invalid DistrolessPolicy/],
    ['an unknown flag', () => ['-f', 'shop/api.yaml', '--frobnicate'], undefined, /frobnicate/],
  ];
  for (const [name, args, stdin, pattern] of cases) {
    it(name, async () => {
      const run = await check(args(), stdin === undefined ? {} : { stdin });
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr.split('\n').filter((l) => l !== '').length, 1, run.stderr);
      assert.match(run.stderr.trimEnd(), pattern);
    });
  }

  it('every bad document is reported, not only the first', async () => {
    const run = await check(['-f', '-', '--offline'], {
      stdin: 'a: [\n---\nkind: Pod\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec: {containers: []}\n',
    });
    assert.equal(run.code, 2);
    assert.deepEqual(run.stderr.trim().split('\n').map((l) => l.replace(/: invalid YAML: .*/, ': invalid YAML')), [
      'distroless-guard check: <stdin>:2:1: invalid YAML',
      'distroless-guard check: <stdin>:3:1: document 2 is not a Kubernetes object: apiVersion and kind are required',
    ]);
  });
});

describe('check: progress', () => {
  it('on a terminal, counts images as they are inspected on stderr and clears the line; otherwise stderr stays empty', async () => {
    const args = ['-f', 'shop', ...POLICY, ...mirror, '--format', 'json'];
    const tty = await check(args, { tty: true });
    assert.match(tty.stderr, /inspecting images \d+\/\d+/);
    assert.match(tty.stderr, /inspecting images (\d+)\/\1/);
    assert.ok(tty.stderr.endsWith('\r\x1b[K'));
    const piped = await check(args);
    assert.equal(piped.stderr, '');
    assert.equal(piped.stdout, tty.stdout, 'the report itself is the same');
  });
});

describe('check: as a user runs it', () => {
  it('bin/distroless-guard check -f - reads a pipe and exits 1 on a denial', async () => {
    const run = await new Promise<Run>((resolveRun) => {
      const child = execFile(
        LAUNCHER,
        ['check', '-f', '-', '--offline', '--namespace-labels', 'shop=environment=production'],
        { timeout: 60_000 },
        (err, stdout, stderr) => {
          resolveRun({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr });
        },
      );
      child.stdin?.end(
        'apiVersion: v1\nkind: Pod\nmetadata: {name: probe, namespace: shop}\nspec:\n  containers:\n    - {name: probe, image: busybox:debug}\n',
      );
    });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^DENIED {4}Pod shop\/probe {2}<stdin>:1$/m);
  });
});
