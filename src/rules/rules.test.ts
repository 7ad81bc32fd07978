import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { ImageFacts } from '../image/facts/types.js';
import type { RuleName } from '../policy/types.js';
import { effectiveSecurity } from '../workload/security-context.js';
import type { ContainerKind } from '../workload/targets.js';
import { RULES } from './index.js';
import { isDebugTag, tagOf } from './no-debug-tag.js';
import type { FactsResult, RuleResult } from './types.js';

function facts(partial: Partial<ImageFacts>): FactsResult {
  const base: ImageFacts = {
    image: 'x', digest: 'sha256:0', shells: [], packageManagers: [],
    user: { configured: '65532', uid: 65532, gid: 65532, name: 'nonroot' }, nonRoot: true, hasTmpDir: true,
    debugVariant: false, distroless: true, base: 'Distroless', distribution: { id: 'debian', versionId: '12' }, runtimes: [], platforms: [],
  };
  return { kind: 'known', facts: { ...base, ...partial } };
}
const NOT_INSPECTED: FactsResult = { kind: 'not-inspected' };

interface Case {
  readonly name: string;
  readonly rule: RuleName;
  readonly container?: Partial<V1Container>;
  readonly pod?: Partial<V1PodSpec>;
  readonly kind?: ContainerKind;
  readonly production?: boolean;
  readonly facts?: FactsResult;
  readonly expect: RuleResult['kind'];
  readonly message?: RegExp;
}

const HARDENED = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

const CASES: Case[] = [
  // noDebugTag
  {
    name: 'a :debug tag is refused in production',
    rule: 'noDebugTag', container: { image: 'gcr.io/distroless/static:debug' }, production: true, expect: 'violation',
    message: /":debug" is a debug variant/,
  },
  {
    name: 'a :debug-nonroot tag is refused in production',
    rule: 'noDebugTag', container: { image: 'gcr.io/distroless/base:debug-nonroot' }, production: true,
    expect: 'violation',
  },
  {
    name: 'a -debug suffix in any case is refused',
    rule: 'noDebugTag', container: { image: 'registry:5000/app:1.2-DEBUG' }, production: true, expect: 'violation',
  },
  {
    name: 'a debug tag outside production is not judged',
    rule: 'noDebugTag', container: { image: 'gcr.io/distroless/static:debug' }, production: false,
    expect: 'not-applicable',
  },
  {
    name: 'a debug variant by content is refused even under an innocent tag',
    rule: 'noDebugTag', container: { image: 'app:1.0' }, production: true,
    facts: facts({ debugVariant: true, shells: ['/busybox/sh'] }), expect: 'violation', message: /by content/,
  },
  {
    name: 'a registry port is not a tag',
    rule: 'noDebugTag', container: { image: 'debug.local:5000/app' }, production: true, facts: facts({}), expect: 'pass',
  },
  {
    name: 'a debug tag is fixed by the same image without "debug"',
    rule: 'noDebugTag', container: { image: 'gcr.io/distroless/base:debug-nonroot' }, production: true, expect: 'violation',
    message: /use gcr\.io\/distroless\/base:nonroot \(the tag without "debug"\)/,
  },
  {
    name: 'a debug variant by content is fixed by the distroless image its runtime needs',
    rule: 'noDebugTag', container: { image: 'app:1.0' }, production: true,
    facts: facts({ debugVariant: true, runtimes: [{ name: 'python', version: '3.13', path: '/usr/bin/python3.13' }] }),
    expect: 'violation', message: /build FROM gcr\.io\/distroless\/python3-debian13:nonroot \(python 3\.13 found on Debian 12\)/,
  },
  // noDebugContainers
  {
    name: 'kubectl debug in production is refused',
    rule: 'noDebugContainers', kind: 'ephemeralContainer', production: true, expect: 'violation',
    message: /ephemeral container/,
  },
  { name: 'kubectl debug outside production is allowed', rule: 'noDebugContainers', kind: 'ephemeralContainer', production: false, expect: 'not-applicable' },
  { name: 'an ordinary container is not a debug container', rule: 'noDebugContainers', production: true, expect: 'pass' },
  // nonRoot
  { name: 'runAsUser: 0 is root', rule: 'nonRoot', container: { securityContext: { runAsUser: 0 } }, expect: 'violation', message: /runAsUser: 0/ },
  {
    name: 'runAsUser: 0 with runAsNonRoot: true is a pod kubelet refuses',
    rule: 'nonRoot', container: { securityContext: { runAsUser: 0, runAsNonRoot: true } }, expect: 'violation',
    message: /kubelet refuses/,
  },
  { name: 'a non-zero runAsUser at pod level settles it', rule: 'nonRoot', pod: { securityContext: { runAsUser: 1000 } }, expect: 'pass' },
  {
    name: 'the container runAsUser overrides the pod one',
    rule: 'nonRoot', pod: { securityContext: { runAsUser: 1000 } }, container: { securityContext: { runAsUser: 0 } },
    expect: 'violation',
  },
  {
    name: 'without facts, runAsNonRoot: true is enough (kubelet verifies)',
    rule: 'nonRoot', container: { securityContext: { runAsNonRoot: true } }, facts: NOT_INSPECTED, expect: 'pass',
  },
  { name: 'without facts or settings, the image user decides: not checked', rule: 'nonRoot', facts: NOT_INSPECTED, expect: 'not-checked' },
  {
    name: 'an image running as root with no runAsUser is a violation',
    rule: 'nonRoot', facts: facts({ nonRoot: false, user: { configured: '0', uid: 0, gid: 0, name: 'root' } }),
    expect: 'violation', message: /image runs as root.*build FROM gcr\.io\/distroless\/static-debian12:nonroot/,
  },
  { name: 'a nonroot image needs no settings', rule: 'nonRoot', facts: facts({}), expect: 'pass' },
  {
    name: 'runAsNonRoot: true on a named-user image is a pod kubelet refuses',
    rule: 'nonRoot', container: { securityContext: { runAsNonRoot: true } },
    facts: facts({ user: { configured: 'nonroot', uid: 65532, gid: 65532, name: 'nonroot' } }), expect: 'violation',
    message: /set runAsUser: 65532|non-numeric user nonroot/,
  },
  {
    name: 'an unresolvable image user without runAsNonRoot is unproven',
    rule: 'nonRoot', facts: facts({ nonRoot: null, user: { configured: 'app', uid: null, gid: null, name: 'app' } }),
    expect: 'violation', message: /cannot be resolved/,
  },
  {
    name: 'facts that could not be had are reported as such',
    rule: 'nonRoot', facts: { kind: 'unavailable', reason: 'registry timeout' }, expect: 'facts-unavailable',
  },
  {
    name: 'unavailable facts with runAsNonRoot: true still pass (kubelet verifies)',
    rule: 'nonRoot', container: { securityContext: { runAsNonRoot: true } },
    facts: { kind: 'unavailable', reason: 'registry timeout' }, expect: 'pass',
  },
  { name: 'windows pods are not judged for Linux users', rule: 'nonRoot', pod: { os: { name: 'windows' } }, facts: NOT_INSPECTED, expect: 'not-applicable' },
  // noPrivilegeEscalation
  { name: 'a hardened container passes', rule: 'noPrivilegeEscalation', container: { securityContext: HARDENED }, expect: 'pass' },
  {
    name: 'privileged is refused',
    rule: 'noPrivilegeEscalation', container: { securityContext: { ...HARDENED, privileged: true } },
    expect: 'violation', message: /privileged: true/,
  },
  {
    name: 'unset allowPrivilegeEscalation is refused (the kernel default allows it)',
    rule: 'noPrivilegeEscalation', container: { securityContext: { capabilities: { drop: ['ALL'] } } },
    expect: 'violation', message: /allowPrivilegeEscalation unset/,
  },
  {
    name: 'NET_BIND_SERVICE may be added back',
    rule: 'noPrivilegeEscalation',
    container: { securityContext: { ...HARDENED, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } },
    expect: 'pass',
  },
  {
    name: 'CAP_SYS_ADMIN may not be added',
    rule: 'noPrivilegeEscalation',
    container: { securityContext: { ...HARDENED, capabilities: { drop: ['all'], add: ['CAP_SYS_ADMIN'] } } },
    expect: 'violation', message: /SYS_ADMIN/,
  },
  // noShell / noPackageManager
  {
    name: 'an image with a shell is refused, naming the shell',
    rule: 'noShell', facts: facts({ shells: ['/usr/bin/bash', '/usr/bin/dash'] }), expect: 'violation',
    message: /\/usr\/bin\/bash, \/usr\/bin\/dash/,
  },
  { name: 'an image without a shell passes', rule: 'noShell', facts: facts({}), expect: 'pass' },
  { name: 'noShell without inspection does not guess', rule: 'noShell', facts: NOT_INSPECTED, expect: 'not-checked' },
  {
    name: 'the fix of a shell names the distroless image of the runtime found',
    rule: 'noShell', container: { image: 'shop/web:2.1' },
    facts: facts({ shells: ['/bin/sh'], runtimes: [{ name: 'node', version: '22', path: '/usr/local/bin/node' }] }),
    expect: 'violation', message: /build FROM gcr\.io\/distroless\/nodejs22-debian13:nonroot/,
  },
  {
    name: 'the fix of a shell in a debug tag is the tag without "debug"',
    rule: 'noShell', container: { image: 'gcr.io/distroless/static-debian12:debug' }, facts: facts({ shells: ['/busybox/sh'] }),
    expect: 'violation', message: /use gcr\.io\/distroless\/static-debian12:latest/,
  },
  {
    name: 'noShell with unavailable facts defers to failurePolicy',
    rule: 'noShell', facts: { kind: 'unavailable', reason: 'auth refused' }, expect: 'facts-unavailable',
  },
  {
    name: 'an image with apt is refused, naming it',
    rule: 'noPackageManager', facts: facts({ packageManagers: ['apt', 'dpkg'] }), expect: 'violation',
    message: /apt, dpkg.*build FROM gcr\.io\/distroless\/static-debian12:nonroot/,
  },
  { name: 'noPackageManager without inspection is not checked', rule: 'noPackageManager', facts: NOT_INSPECTED, expect: 'not-checked' },
];

describe('rules', () => {
  for (const c of CASES) {
    it(`${c.rule}: ${c.name}`, () => {
      const container: V1Container = { name: 'app', image: 'gcr.io/distroless/static:nonroot', ...c.container };
      const spec: V1PodSpec = { containers: [container], ...c.pod };
      const result = RULES[c.rule].evaluate({
        container: { kind: c.kind ?? 'container', name: 'app', image: container.image ?? '', path: [], container },
        spec,
        security: effectiveSecurity(spec, container),
        production: c.production ?? false,
        facts: c.facts ?? NOT_INSPECTED,
      });
      assert.equal(result.kind, c.expect, JSON.stringify(result));
      if (c.message) assert.match(result.kind === 'violation' ? `${result.message} ${result.fix}` : '', c.message);
    });
  }
});

/**
 * Offline (`check --offline`, `serve --offline`) no image is inspected. A rule whose answer depends on image facts
 * then says not-checked, never violation: an offline check must not deny what inspection would admit. Production
 * namespace, no securityContext unless given, image `app:1.0` unless given.
 */
describe('offline: which rules depend on image facts', () => {
  const rows: ReadonlyArray<readonly [RuleName, string, Partial<V1Container>, RuleResult['kind']]> = [
    ['noShell', 'a shell is only seen in the image', {}, 'not-checked'],
    ['noPackageManager', 'a package manager is only seen in the image', {}, 'not-checked'],
    ['nonRoot', 'the image user decides when the pod names no uid', {}, 'not-checked'],
    ['nonRoot', 'a :nonroot image is not judged by its name', { image: 'gcr.io/distroless/python3-debian13:nonroot' }, 'not-checked'],
    ['nonRoot', 'runAsUser: 0 is root whatever the image', { securityContext: { runAsUser: 0 } }, 'violation'],
    ['nonRoot', 'a non-zero runAsUser settles it', { securityContext: { runAsUser: 1000 } }, 'pass'],
    ['nonRoot', 'runAsNonRoot: true is enforced by the kubelet', { securityContext: { runAsNonRoot: true } }, 'pass'],
    ['noDebugTag', 'a debug tag is a debug image whatever its content', { image: 'app:debug' }, 'violation'],
    ['noDebugTag', 'an innocent tag needs the content', {}, 'not-checked'],
    ['noPrivilegeEscalation', 'the pod spec alone decides', {}, 'violation'],
    ['noDebugContainers', 'the pod spec alone decides', {}, 'pass'],
  ];
  for (const [rule, what, container, expected] of rows) {
    it(`${rule}: ${what}: ${expected}`, () => {
      const c: V1Container = { name: 'app', image: 'app:1.0', ...container };
      const spec: V1PodSpec = { containers: [c] };
      const context = { spec, security: effectiveSecurity(spec, c), production: true, facts: NOT_INSPECTED };
      const result = RULES[rule].evaluate({ ...context, container: { kind: 'container', name: 'app', image: c.image ?? '', path: [], container: c } });
      assert.equal(result.kind, expected, JSON.stringify(result));
    });
  }
  it('exactly the rules that may say not-checked declare usesFacts (their images are inspected online)', () => {
    const offline = new Set(rows.filter(([, , , kind]) => kind === 'not-checked').map(([rule]) => rule));
    assert.deepEqual(Object.values(RULES).filter((r) => r.usesFacts).map((r) => r.name).sort(), [...offline].sort());
  });
});

describe('debug tags', () => {
  const table: Array<[string, boolean]> = [
    ['debug', true], ['debug-nonroot', true], ['latest-debug', true], ['DEBUG', true], ['debug-amd64', true],
    ['nonroot', false], ['debugger', false], ['nodebug', false], ['', false],
  ];
  for (const [tag, expected] of table) it(`"${tag}" is ${expected ? '' : 'not '}a debug tag`, () => assert.equal(isDebugTag(tag), expected));
  it('the tag is read after the last path segment and before the digest', () => {
    assert.equal(tagOf('localhost:5000/a/b:debug@sha256:' + 'a'.repeat(64)), 'debug');
    assert.equal(tagOf('localhost:5000/a/b'), 'latest');
    assert.equal(tagOf('localhost:5000/a/b@sha256:' + 'a'.repeat(64)), '');
  });
});
