/**
 * Hostile and odd requests against the real HTTPS server, with image inspection on (a real registry for the images
 * that exist; every other registry name fails to resolve at once, without leaving the machine):
 * - fuzzing (fast-check): arbitrary bodies, and AdmissionReviews whose every field may be of any JSON type, on both
 *   endpoints: never a 5xx, never a hang, never a crash; a 200 always echoes the uid and carries a well-formed answer;
 * - a table of cases: a body over the limit, deeply nested JSON, unicode names, 10,000 containers, odd but valid
 *   image references (answered with the image's real facts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { installTestResolver } from '../support/dns.js';
import { buildImage, pushImage, type BuiltImage } from '../support/image-builder.js';
import { createRegistryClient } from '../support/registry-client.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { decodePatch, podReview } from '../support/reviews.js';
import { startTestServer, type TestServer } from '../support/serve-fixture.js';
import { exe, file } from '../support/tree.js';

/** Every rule and every mutation on, production in "shop", opt-out allowed for one rule: the most code per request. */
const POLICIES = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: everything}
spec:
  mode: Enforce
  failurePolicy: Fail
  production:
    namespaces: ["shop"]
  rules:
    nonRoot: {allowOptOut: true}
  mutate:
    action: Enforce
    securityContext: true
    readOnlyRootFilesystem: true
    writableDirs: ["/tmp", "/var/cache/app"]
    rootFallbackUid: 65532
    pinDigest: Always
    initContainers:
      - name: render
        image: registry.example/tools/render:1.2
        command: ["sh", "-c", "true"]
        podSelector: {matchLabels: {app: web}}
        volume: {name: rendered, mountPath: /config}
---
apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: audit}
spec:
  mode: DryRun
  failurePolicy: Ignore
`;

const UID = 'f00dcafe-0000-4000-8000-000000000001';

let registry: TestRegistry;
let server: TestServer;
let shellImage: BuiltImage;
let host: string;

type Reply = { status: number; body: string; json: unknown };

async function post(path: string, body: string | Buffer, contentType = 'application/json'): Promise<Reply> {
  const reply = await Promise.race([
    server.client.post(path, body, { 'content-type': contentType }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer to ${path} within 15 s (a hang)`)), 15_000).unref()),
  ]);
  return reply;
}

/** What every answer must look like: never 5xx; a 200 is a well-formed AdmissionReview echoing `uid`. */
function assertWellFormed(reply: Reply, uid: string | undefined): void {
  assert.ok(reply.status === 200 || reply.status === 400 || reply.status === 413, `status ${reply.status}: ${reply.body.slice(0, 500)}`);
  if (reply.status !== 200) {
    const status = reply.json as { kind?: string; code?: number; message?: unknown };
    assert.equal(status.kind, 'Status', reply.body.slice(0, 300));
    assert.equal(status.code, reply.status);
    assert.equal(typeof status.message, 'string');
    return;
  }
  const review = reply.json as { apiVersion?: string; kind?: string; response?: Record<string, unknown> };
  assert.equal(review.apiVersion, 'admission.k8s.io/v1');
  assert.equal(review.kind, 'AdmissionReview');
  const response = review.response ?? {};
  assert.equal(response['uid'], uid);
  assert.equal(typeof response['allowed'], 'boolean');
  if (response['patch'] !== undefined) {
    assert.equal(response['patchType'], 'JSONPatch');
    const ops = decodePatch(response as { patch: string });
    assert.ok(Array.isArray(ops) && ops.length > 0);
    for (const op of ops as { op?: unknown; path?: unknown }[]) assert.ok(typeof op.op === 'string' && typeof op.path === 'string', JSON.stringify(op));
  }
  for (const w of (response['warnings'] as unknown[] | undefined) ?? []) assert.ok(typeof w === 'string' && w.length <= 256, String(w));
}

before(async () => {
  await installTestResolver();
  registry = await startRegistry();
  host = registry.host;
  shellImage = await buildImage({
    layers: [{ entries: [file('etc/passwd', 'root:x:0:0::/root:/sbin/nologin\n'), exe('usr/bin/sh', '#!fake')] }],
    config: { User: '0' },
  });
  const push = createRegistryClient(registry.directHost);
  for (const [repository, tag] of [
    ['app', 'v1'],
    ['a/b/c/d/e/f', 'v1'],
    ['x__y.z-w', 'v1'],
    ['app', 'T'.repeat(128)],
    ['app', 'v1.2.3-rc.1_build.7'],
  ] as const) {
    await pushImage(push, repository, shellImage, [tag]);
  }
  server = await startTestServer({ policy: POLICIES, logLevel: 'silent' });
});

after(async () => {
  await server?.close();
  await registry?.stop();
});

// ---------------------------------------------------------------------------------------------------------------
// Generators

/** A value of the right type most of the time, anything JSON otherwise. */
const orAnything = <T>(right: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 4, arbitrary: right }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });
const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 2 });

const imageArb = (): fc.Arbitrary<string> =>
  fc.oneof(
    // %HOST% and %DIGEST% are filled in when the review is sent (the registry starts after the arbitraries are made).
    fc.constantFrom(
      '%HOST%/app:v1',
      '%HOST%/a/b/c/d/e/f:v1',
      '%HOST%/app@%DIGEST%',
      '%HOST%/missing:v1',
      'registry.example/app:1.0',
      'nginx',
      'gcr.io/distroless/static:debug',
      '',
    ),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
  );

const securityContextArb = fc.record(
  {
    runAsUser: orAnything(fc.integer({ min: -1, max: 2 ** 31 })),
    runAsNonRoot: orAnything(fc.boolean()),
    runAsGroup: orAnything(fc.nat()),
    allowPrivilegeEscalation: orAnything(fc.boolean()),
    privileged: orAnything(fc.boolean()),
    readOnlyRootFilesystem: orAnything(fc.boolean()),
    capabilities: orAnything(
      fc.record(
        {
          add: orAnything(fc.array(fc.constantFrom('NET_ADMIN', 'ALL', 'SYS_ADMIN', 'NET_BIND_SERVICE'))),
          drop: orAnything(fc.array(fc.constantFrom('ALL', 'NET_RAW'))),
        },
        { requiredKeys: [] },
      ),
    ),
    seccompProfile: orAnything(fc.record({ type: fc.constantFrom('RuntimeDefault', 'Unconfined', 'Localhost') })),
  },
  { requiredKeys: [] },
);

const containerArb = fc.record(
  {
    name: orAnything(fc.oneof(fc.constantFrom('app', 'web', 'render', 'sidecar'), fc.string({ unit: 'grapheme', maxLength: 12 }))),
    image: orAnything(imageArb()),
    securityContext: orAnything(securityContextArb),
    volumeMounts: orAnything(
      fc.array(fc.record({ name: orAnything(fc.string({ maxLength: 8 })), mountPath: orAnything(fc.constantFrom('/tmp', '/config', '/', '/var/cache/app')) }), {
        maxLength: 3,
      }),
    ),
    command: orAnything(fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 })),
    env: orAnything(fc.array(fc.record({ name: fc.string({ maxLength: 10 }), value: orAnything(fc.string({ maxLength: 10 })) }), { maxLength: 3 })),
  },
  { requiredKeys: [] },
);

const podSpecArb = fc.record(
  {
    containers: orAnything(fc.array(containerArb, { maxLength: 4 })),
    initContainers: orAnything(fc.array(containerArb, { maxLength: 2 })),
    ephemeralContainers: orAnything(fc.array(containerArb, { maxLength: 2 })),
    securityContext: orAnything(securityContextArb),
    serviceAccountName: orAnything(fc.string({ maxLength: 12 })),
    imagePullSecrets: orAnything(fc.array(fc.record({ name: orAnything(fc.string({ maxLength: 8 })) }), { maxLength: 2 })),
    volumes: orAnything(
      fc.array(fc.record({ name: orAnything(fc.constantFrom('rendered', 'dg-app-tmp', 'data')), emptyDir: fc.constant({}) }), { maxLength: 3 }),
    ),
    os: orAnything(fc.record({ name: fc.constantFrom('linux', 'windows') })),
  },
  { requiredKeys: ['containers'] },
);

const metadataArb = fc.record(
  {
    name: orAnything(fc.string({ unit: 'grapheme', maxLength: 12 })),
    labels: orAnything(fc.dictionary(fc.constantFrom('app', 'team', 'x'), fc.constantFrom('web', 'api', ''), { maxKeys: 3 })),
    annotations: orAnything(
      fc.dictionary(
        fc.constantFrom('distroless-guard.io/opt-out', 'distroless-guard.io/opt-out-reason', 'note'),
        fc.oneof(fc.constantFrom('nonRoot', 'noShell,nonRoot', 'legacy app'), fc.string({ maxLength: 20 })),
        { maxKeys: 3 },
      ),
    ),
  },
  { requiredKeys: [] },
);

const KINDS = [
  ['', 'v1', 'Pod', 'pods'],
  ['apps', 'v1', 'Deployment', 'deployments'],
  ['apps', 'v1', 'StatefulSet', 'statefulsets'],
  ['batch', 'v1', 'CronJob', 'cronjobs'],
  ['batch', 'v1', 'Job', 'jobs'],
  ['', 'v1', 'PodTemplate', 'podtemplates'],
  ['', 'v1', 'ConfigMap', 'configmaps'],
] as const;

/** An object of the kind, its pod spec where that kind keeps it, any part possibly of the wrong type. */
const objectArb = (kind: string): fc.Arbitrary<unknown> =>
  fc.record({ metadata: metadataArb, spec: podSpecArb }).map(({ metadata, spec }) => {
    const template = { metadata, spec };
    switch (kind) {
      case 'Pod':
        return { apiVersion: 'v1', kind, metadata, spec };
      case 'CronJob':
        return { apiVersion: 'batch/v1', kind, metadata, spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } } };
      case 'PodTemplate':
        return { apiVersion: 'v1', kind, metadata, template };
      case 'ConfigMap':
        return { apiVersion: 'v1', kind, metadata, data: { spec: JSON.stringify(spec).slice(0, 50) } };
      default:
        return { apiVersion: 'apps/v1', kind, metadata, spec: { selector: { matchLabels: {} }, template } };
    }
  });

const reviewArb = fc
  .record({
    kind: fc.constantFrom(...KINDS),
    operation: orAnything(fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT')),
    subResource: optional(orAnything(fc.constantFrom('ephemeralcontainers', 'status', ''))),
    namespace: orAnything(fc.constantFrom('default', 'shop', 'distroless-guard', 'kube-system', 'プロダクション')),
    dryRun: optional(orAnything(fc.boolean())),
    uid: fc.oneof(fc.uuid(), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })),
    withOld: fc.boolean(),
    endpoint: fc.constantFrom('/validate', '/mutate'),
  })
  .chain((r) =>
    fc
      .record({ object: orAnything(objectArb(r.kind[2])), oldObject: r.withOld ? orAnything(objectArb(r.kind[2])) : fc.constant(null) })
      .map((objects) => ({ ...r, ...objects })),
  );

// ---------------------------------------------------------------------------------------------------------------

describe('fuzzing the HTTPS server (fast-check): never a 5xx, a hang or a crash', () => {
  it('arbitrary bodies: 400 with a Status, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.json({ maxDepth: 4 }), fc.uint8Array({ maxLength: 300 })),
        fc.constantFrom('/validate', '/mutate'),
        async (body, endpoint) => {
          const reply = await post(`${endpoint}?timeout=2s`, typeof body === 'string' ? body : Buffer.from(body));
          assertWellFormed(reply, undefined);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('AdmissionReviews with every field possibly of the wrong type, on both endpoints: a well-formed answer echoing the uid', async () => {
    let answered = 0;
    let badRequests = 0;
    await fc.assert(
      fc.asyncProperty(reviewArb, async (r) => {
        const [group, version, kind, resource] = r.kind;
        const review = {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: {
            uid: r.uid,
            kind: { group, version, kind },
            resource: { group, version, resource },
            ...(r.subResource === undefined ? {} : { subResource: r.subResource }),
            name: 'fuzzed',
            namespace: r.namespace,
            operation: r.operation,
            userInfo: { username: 'fuzzer' },
            object: r.object,
            oldObject: r.oldObject,
            ...(r.dryRun === undefined ? {} : { dryRun: r.dryRun }),
          },
        };
        const body = JSON.stringify(review).replaceAll('%HOST%', host).replaceAll('%DIGEST%', shellImage.digest);
        const reply = await post(`${r.endpoint}?timeout=2s`, body);
        assertWellFormed(reply, reply.status === 200 ? r.uid : undefined);
        if (reply.status === 200) answered++;
        else badRequests++;
      }),
      { numRuns: 2000 },
    );
    assert.ok(answered > 100, `${answered} reviews were answered (and ${badRequests} refused as bad requests): the generator reaches the rules`);
    assert.equal((await server.client.get('/healthz')).status, 200);
  });
});

describe('hostile and odd requests', () => {
  const validate = async (spec: object, options: { namespace?: string; name?: string } = {}): Promise<Reply> => {
    const review = podReview(spec as Parameters<typeof podReview>[0], { uid: UID, namespace: options.namespace ?? 'default' });
    const request = (review['request'] as Record<string, unknown>);
    if (options.name !== undefined) (request['object'] as { metadata: { name: string } }).metadata.name = options.name;
    const reply = await post('/validate?timeout=10s', JSON.stringify(review));
    assertWellFormed(reply, UID);
    return reply;
  };
  const said = (reply: Reply): string => {
    const response = (reply.json as { response: { status?: { message: string }; warnings?: string[] } }).response;
    return [response.status?.message ?? '', ...(response.warnings ?? [])].join('\n');
  };

  it('a body over the 6 MiB limit: 413 with a Status, and the server goes on serving', async () => {
    const reply = await post('/validate', Buffer.alloc(7 * 1024 * 1024, ' '));
    assert.equal(reply.status, 413);
    assert.match((reply.json as { message: string }).message, /larger than 6291456 bytes/);
    await validate({ containers: [{ name: 'app', image: `${host}/app:v1` }] });
  });

  for (const [where, nested] of [
    ['the whole body', (deep: string) => deep],
    [
      'an annotation value',
      (deep: string) =>
        JSON.stringify(podReview({ containers: [{ name: 'app', image: 'registry.example/app:1' }] }, { uid: UID })).replace(
          '"metadata":{"name":"web"',
          `"metadata":{"name":"web","annotations":{"note":${deep}}`,
        ),
    ],
    [
      'an env value',
      (deep: string) =>
        JSON.stringify(
          podReview({ containers: [{ name: 'app', image: 'registry.example/app:1', env: [{ name: 'X', value: 'DEEP' }] }] }, { uid: UID }),
        ).replace('"DEEP"', deep),
    ],
    [
      'the securityContext',
      (deep: string) =>
        JSON.stringify(
          podReview(
            { containers: [{ name: 'app', image: 'registry.example/app:1', securityContext: { capabilities: { add: 'DEEP' as unknown as string[] } } }] },
            { uid: UID },
          ),
        ).replace('"DEEP"', deep),
    ],
  ] as const) {
    it(`JSON nested 200,000 deep in ${where}: answered (400 or 200), never a stack overflow`, async () => {
      const deep = '['.repeat(100_000) + '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000) + ']'.repeat(100_000);
      for (const endpoint of ['/validate', '/mutate']) {
        const reply = await post(endpoint, nested(deep));
        assertWellFormed(reply, reply.status === 200 ? UID : undefined);
      }
    });
  }

  // Found by the fuzzer: a pod-spec list of the wrong type reached the review and answered 500.
  for (const [field, spec, says] of [
    ['imagePullSecrets as an object', { imagePullSecrets: {} }, /spec\.imagePullSecrets must be an array/],
    ['volumes as a string', { volumes: 'x' }, /spec\.volumes must be an array/],
    ['a volume that is a number', { volumes: [5] }, /spec\.volumes\[0\] must be an object/],
    ['serviceAccountName as an object', { serviceAccountName: {} }, /spec\.serviceAccountName must be a string/],
    [
      'volumeMounts as a number',
      { containers: [{ name: 'app', image: 'registry.example/app:1', volumeMounts: 5 }] },
      /containers\[0\]\.volumeMounts must be an array/,
    ],
  ] as const) {
    it(`a pod spec with ${field}: 400 naming the field, on both endpoints`, async () => {
      const review = podReview({ containers: [{ name: 'app', image: 'registry.example/app:1' }], ...spec } as Parameters<typeof podReview>[0], { uid: UID });
      for (const endpoint of ['/validate', '/mutate']) {
        const reply = await post(endpoint, JSON.stringify(review));
        assert.equal(reply.status, 400, reply.body);
        assert.match((reply.json as { message: string }).message, says);
      }
    });
  }

  it('unicode in pod, container and namespace names and in the image: answered, names intact', async () => {
    const reply = await validate(
      { containers: [{ name: 'ünïcødé-😀', image: `${host}/app:v1` }, { name: 'ℂ', image: 'régistry.example/äpp:1' }] },
      { namespace: 'プロダクション', name: 'pod-☃' },
    );
    assert.match(said(reply), /container "ünïcødé-😀" \(\S+\/app:v1\): image has a shell: \/usr\/bin\/sh/);
    assert.match(said(reply), /container "ℂ" \(régistry\.example\/äpp:1\): could not inspect image: .*régistry\.example\/äpp:1/);
  });

  it('10,000 containers in one pod: answered within the deadline, each judged', async () => {
    const containers = Array.from({ length: 10_000 }, (_, i) => ({ name: `c${i}`, image: `${host}/app:v1` }));
    const started = performance.now();
    const reply = await validate({ containers });
    assert.ok(performance.now() - started < 10_000);
    assert.match(said(reply), /container "c9999" \(\S+\/app:v1\): image has a shell/);
  });

  for (const [what, image] of [
    ['a deep repository path', () => `${host}/a/b/c/d/e/f:v1`],
    ['underscores, dots and dashes in the name', () => `${host}/x__y.z-w:v1`],
    ['a tag of 128 characters (the maximum)', () => `${host}/app:${'T'.repeat(128)}`],
    ['a tag with dots, dashes and underscores', () => `${host}/app:v1.2.3-rc.1_build.7`],
    ['a digest and no tag', () => `${host}/app@${shellImage.digest}`],
    ['a tag and a digest', () => `${host}/app:whatever@${shellImage.digest}`],
    ['localhost as the registry name', () => `localhost:${host.split(':')[1]}/app:v1`],
  ] as const) {
    it(`an odd but valid image reference, ${what}: judged on the image's real facts`, async () => {
      const reply = await validate({ containers: [{ name: 'app', image: image() }] });
      assert.doesNotMatch(said(reply), /could not inspect/, said(reply));
      assert.match(said(reply), /\[everything\/noShell\] container "app" \(.+\): image has a shell: \/usr\/bin\/sh/);
    });
  }
});
