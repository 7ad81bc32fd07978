import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicies } from './compile.js';
import { DEFAULT_POLICY_YAML } from './default-policy.js';
import { compileGlob } from './glob.js';
import { parsePolicies, PolicyLoadError, policyWarnings } from './load.js';
import { compileSelector } from './selector.js';

describe('globs', () => {
  const table: Array<[string, string, string, boolean]> = [
    ['a literal matches itself only', 'nginx', 'nginx', true],
    ['a literal does not match a prefix', 'nginx', 'nginx2', false],
    ['* spans slashes, as Kyverno image patterns do', 'registry.k8s.io/*', 'registry.k8s.io/sig/pause:3.9', true],
    ['* needs the literal parts around it', 'prod-*', 'staging-1', false],
    ['? is exactly one character', 'team-?', 'team-a', true],
    ['regex characters are literal', 'a.b', 'axb', false],
  ];
  for (const [name, glob, value, expected] of table) it(name, () => assert.equal(compileGlob(glob)(value), expected));
});

describe('label selectors', () => {
  const labels = { environment: 'production', tier: 'web' };
  const table: Array<[string, Parameters<typeof compileSelector>[0], boolean]> = [
    ['an empty selector matches everything', {}, true],
    ['matchLabels must all hold', { matchLabels: { environment: 'production', tier: 'db' } }, false],
    ['In holds for a listed value', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, true],
    ['NotIn holds when the key is absent', { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['x'] }] }, true],
    ['Exists needs the key', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, false],
    ['DoesNotExist holds without the key', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, true],
  ];
  for (const [name, selector, expected] of table) it(name, () => assert.equal(compileSelector(selector)(labels), expected));
});

const policy = (spec: string, name = 'p') => `apiVersion: distroless-guard.io/v1alpha1\nkind: DistrolessPolicy\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

describe('loading policies', () => {
  it('the embedded default policy is valid', () => {
    const [loaded] = parsePolicies(DEFAULT_POLICY_YAML, 'default');
    assert.equal(loaded?.metadata.name, 'default');
    assert.equal(loaded?.spec.mode, 'DryRun');
  });
  const invalid: Array<[string, string, RegExp]> = [
    ['a typo in a field name is named', policy('  mdoe: Enforce\n'), /spec\.mdoe is not a known field/],
    [
      'a wrong action lists the allowed ones',
      policy('  rules:\n    noShell:\n      action: Deny\n'),
      /spec\.rules\.noShell\.action must be one of "Enforce", "DryRun", "Disabled"/,
    ],
    ['an unknown rule is named', policy('  rules:\n    noShel: {}\n'), /spec\.rules\.noShel is not a known field/],
    [
      'an exception needs a reason',
      policy('  rules:\n    noShell:\n      exceptions:\n        - images: ["x"]\n'),
      /spec\.rules\.noShell\.exceptions\.0\.reason is required/,
    ],
    ['broken YAML says so', 'spec: [\n', /invalid YAML/],
    ['another kind is refused', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nspec: {}\n', /kind must be one of "DistrolessPolicy"/],
    ['an empty file has no policy', '', /no DistrolessPolicy document found/],
    ['two policies with one name are refused', `${policy('  mode: Enforce\n')}---\n${policy('  mode: DryRun\n')}`, /a second policy is named "p"/],
  ];
  for (const [name, text, message] of invalid) {
    it(name, () =>
      assert.throws(
        () => parsePolicies(text, 'policy.yaml'),
        (e: unknown) => e instanceof PolicyLoadError && message.test(e.message) && e.message.startsWith('policy.yaml'),
      ),
    );
  }
  it('metadata may carry labels and annotations', () => {
    assert.equal(parsePolicies(policy('  mode: Enforce\n').replace('  name: p', '  name: p\n  labels: {a: b}'), 'x').length, 1);
  });
});

describe('policies are read the way kubectl reads them (YAML 1.1)', () => {
  // [what, spec lines, the error the file gets (what the API server refuses too)]
  const refused: Array<[string, string, RegExp]> = [
    [
      'an unquoted Off is the boolean false: named, with the fix',
      '  rules:\n    noShell: {action: Off}\n',
      new RegExp(
        String.raw`spec\.rules\.noShell\.action must be of type string, not the boolean false: ` +
          String.raw`YAML 1\.1, as kubectl reads it, takes an unquoted Off for false; write Disabled$`,
      ),
    ],
    [
      'an unquoted off in lower case, in mutate',
      '  mutate: {action: off}\n',
      /spec\.mutate\.action must be of type string, not the boolean false: .* write Disabled$/,
    ],
    [
      'a label value yes is the boolean true',
      '  match: {namespaceSelector: {matchLabels: {monitored: yes}}}\n',
      /matchLabels\.monitored must be .*unquoted yes for true; quote it: "yes"$/,
    ],
    [
      'a namespace named n is the boolean false',
      '  match: {namespaces: [shop, n]}\n',
      /spec\.match\.namespaces\.1 must be of type string, not the boolean false: .*unquoted n for false/,
    ],
    ['a quoted boolean is no trap, just the wrong value', '  mode: "true"\n', /spec\.mode must be one of "Enforce", "DryRun"$/],
  ];
  for (const [name, spec, message] of refused) {
    it(`refuses ${name}`, () =>
      assert.throws(
        () => parsePolicies(policy(spec), 'p.yaml'),
        (e: unknown) => e instanceof PolicyLoadError && message.test(e.message),
      ));
  }

  it('a null field is dropped before validation, as the API server prunes it (then defaults it)', () => {
    assert.equal(parsePolicies(policy('  failurePolicy: ~\n  mode: Enforce\n'), 'x')[0]?.spec.failurePolicy, undefined);
  });

  // [what, the deprecated spellings, the warnings]
  const deprecated: Array<[string, string, string[]]> = [
    ['a quoted "Off" is read, with a warning naming the field', '  rules:\n    noShell: {action: "Off"}\n', ['spec.rules.noShell.action']],
    ["mutate's too", "  mutate: {action: 'Off'}\n  rules: {nonRoot: {action: Disabled}}\n", ['spec.mutate.action']],
    ['Disabled needs no warning', '  rules:\n    noShell: {action: Disabled}\n', []],
  ];
  for (const [name, spec, fields] of deprecated) {
    it(name, () => {
      const warnings = policyWarnings(parsePolicies(policy(spec), 'x')[0] ?? assert.fail('no policy'));
      assert.deepEqual(warnings.map((w) => w.split(':')[0]), fields);
      for (const w of warnings) assert.match(w, /"Off" is deprecated and read as Disabled .*: write Disabled$/);
    });
  }
});

describe('kubectl get dgp -o yaml output is a policy file', () => {
  const listed = `apiVersion: v1
kind: List
items:
  - apiVersion: distroless-guard.io/v1alpha1
    kind: DistrolessPolicy
    metadata: {name: a, generation: 3, uid: 0b9e, resourceVersion: "812", creationTimestamp: "2026-11-28T10:00:00Z"}
    spec: {mode: Enforce, failurePolicy: Fail}
    status: {observedGeneration: 3, totalViolations: 2, conditions: [{type: Ready, status: "True"}]}
  - apiVersion: distroless-guard.io/v1alpha1
    kind: DistrolessPolicy
    metadata: {name: b}
    spec: {rules: {noShell: {action: Disabled}}}
metadata: {resourceVersion: ""}
`;
  it('a List is its items; status and server-set metadata are ignored', () => {
    const policies = parsePolicies(listed, 'dgp.yaml');
    assert.deepEqual(policies.map((p) => [p.metadata.name, p.spec.mode ?? '-']), [['a', 'Enforce'], ['b', '-']]);
  });
  it('one object with its status (kubectl get dgp NAME -o yaml) is read too', () => {
    assert.equal(parsePolicies(`${policy('  mode: Enforce\n')}status: {observedGeneration: 1}\n`, 'one.yaml').length, 1);
  });
  it('an invalid item is named by its place in the List', () => {
    assert.throws(
      () => parsePolicies(listed.replace('mode: Enforce', 'mode: Enforse'), 'dgp.yaml'),
      /dgp\.yaml \(item 1\): invalid DistrolessPolicy: spec\.mode must be one of/,
    );
  });
  it('Lists and documents mix in one multi-document file', () => {
    assert.equal(parsePolicies(`${listed}---\n${policy('  mode: DryRun\n', 'c')}`, 'all.yaml').length, 3);
  });
});

const MUTATE_ALL_FIELDS = policy(`  mode: Enforce
  mutate:
    action: DryRun
    securityContext: true
    runAsUserFromImage: false
    rootFallbackUid: 65532
    readOnlyRootFilesystem: true
    writableDirs: ["/tmp", "/var/cache/nginx", "/tmp"]
    pinDigest: Always
    initContainers:
      - name: render-config
        image: registry.example/tools/render:1.2
        command: ["/bin/sh", "-c"]
        args: ["envsubst < /templates/app.conf > /work/app.conf"]
        env:
          - {name: MODE, value: production}
          - name: POD_IP
            valueFrom: {fieldRef: {fieldPath: status.podIP}}
        resources:
          limits: {cpu: 1, memory: 64Mi}
          requests: {cpu: 100m}
        podSelector:
          matchLabels: {app: web}
          matchExpressions: [{key: tier, operator: In, values: [frontend]}]
        volume: {name: rendered, mountPath: /work}
        allowRoot: true
`);

describe('loading spec.mutate', () => {
  it('every field loads, and compiles as written (writableDirs de-duplicated)', () => {
    const [compiled] = compilePolicies(parsePolicies(MUTATE_ALL_FIELDS, 'x'), { guardNamespace: 'g' });
    const { initContainers, ...rest } = compiled?.mutate ?? assert.fail('no policy');
    assert.deepEqual(rest, {
      action: 'DryRun',
      securityContext: true,
      runAsUserFromImage: false,
      rootFallbackUid: 65532,
      readOnlyRootFilesystem: true,
      writableDirs: ['/tmp', '/var/cache/nginx'],
      pinDigest: 'Always',
    });
    const [init] = initContainers;
    assert.equal(init?.policy, 'p');
    assert.equal(init?.allowRoot, true);
    assert.deepEqual(init?.spec.resources, { limits: { cpu: 1, memory: '64Mi' }, requests: { cpu: '100m' } });
    assert.equal(init?.selects({ app: 'web', tier: 'frontend' }), true);
    assert.equal(init?.selects({ app: 'web' }), false);
  });
  it('defaults: mode as action, hardening and runAsUser from the image on, /tmp writable, digests pinned in production', () => {
    const [compiled] = compilePolicies(parsePolicies(policy('  mode: Enforce\n'), 'x'), { guardNamespace: 'g' });
    assert.deepEqual(compiled?.mutate, {
      action: 'Enforce',
      securityContext: true,
      runAsUserFromImage: true,
      rootFallbackUid: undefined,
      readOnlyRootFilesystem: false,
      writableDirs: ['/tmp'],
      pinDigest: 'Production',
      initContainers: [],
    });
  });
  it('an init container without podSelector selects every pod, and is not allowed root', () => {
    const text = policy('  mutate:\n    initContainers: [{name: setup, image: busybox, volume: {name: shared, mountPath: /shared}}]\n');
    const init = compilePolicies(parsePolicies(text, 'x'), { guardNamespace: 'g' })[0]?.mutate.initContainers[0];
    assert.equal(init?.selects({}), true);
    assert.equal(init?.allowRoot, false);
  });

  const init = (fields: string) =>
    policy(`  mutate:\n    initContainers:\n      - {name: setup, image: busybox, volume: {name: shared, mountPath: /shared}${fields}}\n`);
  const invalid: Array<[string, string, RegExp]> = [
    ['a typo in a mutate field is named', policy('  mutate:\n    pinDigests: Always\n'), /spec\.mutate\.pinDigests is not a known field/],
    ['pinDigest lists its modes', policy('  mutate:\n    pinDigest: Sometimes\n'), /spec\.mutate\.pinDigest must be one of "Always", "Production", "Never"/],
    [
      'pinDigest: Yes is the boolean true in YAML 1.1',
      policy('  mutate:\n    pinDigest: Yes\n'),
      /pinDigest must be of type string, not the boolean true: .*unquoted Yes for true/,
    ],
    ['rootFallbackUid 0 is no fallback', policy('  mutate:\n    rootFallbackUid: 0\n'), /spec\.mutate\.rootFallbackUid must be >= 1/],
    [
      'rootFallbackUid must be an integer',
      policy('  mutate:\n    rootFallbackUid: "65532"\n'),
      /spec\.mutate\.rootFallbackUid must be of type integer, not the string "65532"$/,
    ],
    ['a relative writable dir is refused', policy('  mutate:\n    writableDirs: [tmp]\n'), /spec\.mutate\.writableDirs\.0 must match pattern/],
    ['a writable dir with .. is refused', policy('  mutate:\n    writableDirs: [/var/../etc]\n'), /spec\.mutate\.writableDirs\.0 must match pattern/],
    ['a writable dir with a trailing slash is refused', policy('  mutate:\n    writableDirs: [/tmp/]\n'), /spec\.mutate\.writableDirs\.0 must match pattern/],
    [
      'an init container needs its volume',
      policy('  mutate:\n    initContainers: [{name: setup, image: busybox}]\n'),
      /spec\.mutate\.initContainers\.0\.volume is required/,
    ],
    ['an init container name is a DNS label', init('').replace('name: setup', 'name: Setup_1'), /spec\.mutate\.initContainers\.0\.name must match pattern/],
    ['a typo in an init container field is named', init(', comand: [sh]'), /spec\.mutate\.initContainers\.0\.comand is not a known field/],
    ['a typo in an env entry is named', init(', env: [{name: A, vaule: b}]'), /spec\.mutate\.initContainers\.0\.env\.0\.vaule is not a known field/],
    ['a quantity is a number or a string', init(', resources: {limits: {cpu: [1]}}'), /spec\.mutate\.initContainers\.0\.resources\.limits\.cpu/],
    ['resources keep to limits and requests', init(', resources: {limit: {cpu: 1}}'), /resources\.limit is not a known field/],
    ['the volume mountPath is absolute', init('').replace('mountPath: /shared', 'mountPath: shared'), /volume\.mountPath must match pattern/],
    ['allowRoot is a boolean', init(', allowRoot: "yes"'), /allowRoot must be of type boolean, not the string "yes"$/],
    [
      'two init containers with one name are refused',
      policy(
        '  mutate:\n    initContainers:\n      - {name: setup, image: a, volume: {name: v, mountPath: /v}}\n' +
          '      - {name: setup, image: b, volume: {name: w, mountPath: /w}}\n',
      ),
      /spec\.mutate\.initContainers\.1\.name "setup" is declared twice/,
    ],
    [
      'one volume at two paths is refused',
      policy(
        '  mutate:\n    initContainers:\n      - {name: a, image: a, volume: {name: v, mountPath: /v}}\n' +
          '      - {name: b, image: b, volume: {name: v, mountPath: /w}}\n',
      ),
      /spec\.mutate\.initContainers\.1\.volume "v" is mounted at \/v by another init container/,
    ],
  ];
  for (const [name, text, message] of invalid) {
    it(name, () => assert.throws(() => parsePolicies(text, 'policy.yaml'), (e: unknown) => e instanceof PolicyLoadError && message.test(e.message)));
  }
});

describe('compiled policies', () => {
  const ns = (name: string, labels: Record<string, string> = {}) => ({ name, labels: { ...labels, 'kubernetes.io/metadata.name': name } });
  const [compiled] = compilePolicies(
    parsePolicies(
      policy(
        '  mode: Enforce\n  match:\n    namespaces: ["team-*", "prod"]\n  exclude:\n    namespaces: ["team-legacy"]\n    images: ["registry.k8s.io/*"]\n' +
          '  production:\n    namespaces: ["prod"]\n    namespaceSelector: {matchLabels: {environment: production}}\n' +
          '  rules:\n    noShell:\n      action: DryRun\n      exceptions: [{images: ["debian:*"], reason: "legacy batch jobs"}]\n' +
          '    noPackageManager: {action: Disabled}\n' +
          '    nonRoot: {action: DryRun}\n    noPrivilegeEscalation: {action: "Off"}\n',
      ),
      'x',
    ),
    { guardNamespace: 'distroless-guard' },
  );
  if (!compiled) throw new Error('no policy');
  const scope = (namespace: ReturnType<typeof ns>) => ({ namespace, serviceAccount: 'default' });

  const table: Array<[string, ReturnType<typeof ns>, string, boolean]> = [
    ['a namespace matching a glob is judged', ns('team-a'), 'nginx', true],
    ['a namespace outside match is not judged', ns('other'), 'nginx', false],
    ['exclude needs every field to hold: excluded namespace with another image is judged', ns('team-legacy'), 'nginx', true],
    ['exclude with every field holding skips the container', ns('team-legacy'), 'registry.k8s.io/pause:3.9', false],
    ['kube-system is never judged', ns('kube-system'), 'nginx', false],
    ["the guard's own namespace is never judged", ns('distroless-guard'), 'nginx', false],
  ];
  for (const [name, namespace, image, expected] of table) it(name, () => assert.equal(compiled.appliesTo(scope(namespace), image).matched, expected));

  it('a pinned image still matches the globs and exceptions written for its tag', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const [exact] = compilePolicies(
      parsePolicies(
        policy('  match:\n    images: ["shop/api:1.4"]\n  rules:\n    noShell:\n      exceptions: [{images: ["debian:12"], reason: "batch"}]\n'),
        'x',
      ),
      { guardNamespace: 'g' },
    );
    assert.equal(exact?.appliesTo(scope(ns('team-a')), `shop/api:1.4@${digest}`).matched, true);
    assert.equal(exact?.appliesTo(scope(ns('team-a')), `shop/api:1.5@${digest}`).matched, false);
    assert.equal(exact?.exceptionFor('noShell', `debian:12@${digest}`)?.reason, 'batch');
  });
  it('a skip says why', () => {
    const result = compiled.appliesTo(scope(ns('kube-system')), 'nginx');
    assert.equal(result.matched ? '' : result.reason, 'namespace kube-system is always excluded (the guard must never block its own repair)');
  });
  it('production is by name glob or by label selector', () => {
    assert.equal(compiled.isProduction(ns('prod')), true);
    assert.equal(compiled.isProduction(ns('team-a', { environment: 'production' })), true);
    assert.equal(compiled.isProduction(ns('team-a', { environment: 'staging' })), false);
  });
  it('rule actions default to spec.mode and can be overridden or turned off', () => {
    assert.equal(compiled.actionOf('noDebugTag'), 'Enforce');
    assert.equal(compiled.actionOf('noShell'), 'DryRun');
    assert.equal(compiled.actionOf('noPackageManager'), 'Disabled');
    assert.equal(compiled.actionOf('noPrivilegeEscalation'), 'Disabled', 'the deprecated "Off" means Disabled');
  });
  it('exceptions match by image glob and carry their reason', () => {
    assert.equal(compiled.exceptionFor('noShell', 'debian:12')?.reason, 'legacy batch jobs');
    assert.equal(compiled.exceptionFor('noShell', 'ubuntu:24.04'), undefined);
    assert.equal(compiled.exceptionFor('nonRoot', 'debian:12'), undefined);
  });
});
