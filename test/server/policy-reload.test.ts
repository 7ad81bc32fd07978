import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeAtomically } from '../../src/shared/write-atomically.js';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';
import { podReview } from '../support/reviews.js';
import { startTestServer, type TestServer } from '../support/serve-fixture.js';

/**
 * Policies change under a running server, over real HTTPS: a policy file (the ConfigMap mount) re-read on change,
 * and Namespace labels watched through a local endpoint speaking the Kubernetes list/watch protocol. Only pod-spec
 * rules are on (--offline), so what changes is the policy alone.
 */
const POD = { containers: [{ name: 'app', image: 'registry.example/app:1.0' }] };
type Response = { allowed: boolean; status?: { message: string }; warnings?: string[] };

const policyYaml = (mode: string, extra = ''): string => `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: escalation}
spec:
  mode: ${mode}
  rules:
    noShell: {action: Disabled}
    noPackageManager: {action: Disabled}
    nonRoot: {action: Disabled}
    noDebugTag: {action: Disabled}
    noDebugContainers: {action: Disabled}
${extra}`;

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * Replaces the policy file in one step, as the kubelet updates a ConfigMap mount: a plain writeFile truncates first,
 * and a poll landing in between reads an empty file (rejected, counted) that the test would then take for its own.
 */
function edit(server: TestServer, content: string | Uint8Array): Promise<void> {
  return writeAtomically(join(server.dir, 'policy.yaml'), content, 0o644);
}

async function validateShop(server: TestServer): Promise<Response> {
  const reply = await server.client.post('/validate', JSON.stringify(podReview(POD, { namespace: 'shop' })));
  assert.equal(reply.status, 200, reply.body);
  return (reply.json as { response: Response }).response;
}

describe('serve --policy FILE: edits apply without a restart; a bad edit keeps the last good policy', () => {
  let server: TestServer;
  const review = (): Promise<Response> => validateShop(server);

  before(async () => {
    server = await startTestServer({ policy: policyYaml('DryRun'), args: ['--policy-reload-interval', '50ms', '--offline'] });
  });
  after(() => server.close());

  it('DryRun admits with a warning saying what would be denied', async () => {
    const response = await review();
    assert.equal(response.allowed, true);
    assert.ok(
      response.warnings?.some((w) => /^\[distroless-guard\] escalation\/noPrivilegeEscalation would deny container app: /.test(w)),
      JSON.stringify(response.warnings),
    );
  });

  it('switching the file to Enforce denies the same pod within a reload interval', async () => {
    await edit(server, policyYaml('Enforce'));
    const denied = await eventually('Enforce in force', async () => {
      const response = await review();
      return response.allowed ? undefined : response;
    });
    assert.match(
      denied.status?.message ?? '',
      new RegExp(
        String.raw`\[escalation\/noPrivilegeEscalation\] container "app" \(registry\.example\/app:1\.0\): ` +
          String.raw`.*allowPrivilegeEscalation unset.*Fix: .*set allowPrivilegeEscalation: false`,
      ),
    );
  });

  it('a broken edit is rejected: Enforce stays, the error is counted', async () => {
    await edit(server, policyYaml('Enforse'));
    await eventually('error counted', async () =>
      (await server.client.get('/metrics')).body.match(/distroless_guard_policy_reloads_total\{result="error"\} ([1-9])/) ? true : undefined,
    );
    assert.equal((await review()).allowed, false);
    assert.equal((await server.client.get('/readyz')).status, 200, 'still ready: the last good policy serves');
  });

  it('an empty file, binary garbage, a policy that is valid YAML but no policy, and a deleted file: the last good policy serves', async () => {
    const errors = async (): Promise<number> =>
      Number(/distroless_guard_policy_reloads_total\{result="error"\} (\d+)/.exec((await server.client.get('/metrics')).body)?.[1] ?? 0);
    const path = join(server.dir, 'policy.yaml');
    for (const [what, content] of [
      ['empty', ''],
      ['binary garbage', randomBytes(4096)],
      ['YAML that is no policy', 'kind: ConfigMap\napiVersion: v1\ndata: {a: b}\n'],
      ['deleted', undefined],
    ] as const) {
      const before = await errors();
      if (content === undefined) await rm(path);
      else await edit(server, content);
      await eventually(`${what} rejected`, async () => ((await errors()) > before ? true : undefined));
      const response = await review();
      assert.equal(response.allowed, false, `${what}: the Enforce policy still applies`);
      assert.equal((await server.client.get('/readyz')).status, 200, `${what}: still ready`);
    }
    await edit(server, policyYaml('DryRun'));
    await eventually('a good policy again', async () => ((await review()).allowed ? true : undefined));
  });
});

/**
 * Namespace labels watched by a running server (what makes a namespace production). DistrolessPolicy objects in a
 * cluster (readiness once listed, status by the leader, edits within the watch, the per-rule decision metrics) run
 * against the real control plane in test/e2e/policies.test.ts.
 */
describe('serve in a cluster: Namespace labels are watched', () => {
  const POLICIES = '/apis/distroless-guard.io/v1alpha1/distrolesspolicies';
  let api: FakeKubeApi;
  let server: TestServer;
  const review = (): Promise<Response> => validateShop(server);
  const object = (mode: string) => ({
    apiVersion: 'distroless-guard.io/v1alpha1',
    kind: 'DistrolessPolicy',
    metadata: { name: 'escalation' },
    spec: {
      mode,
      match: { namespaceSelector: { matchLabels: { environment: 'production' } } },
      rules: Object.fromEntries(['noShell', 'noPackageManager', 'nonRoot', 'noDebugTag', 'noDebugContainers'].map((r) => [r, { action: 'Disabled' }])),
    },
  });

  before(async () => {
    api = await startFakeKubeApi();
    api.collection(POLICIES, 'DistrolessPolicy', 'distroless-guard.io/v1alpha1');
    api.collection('/api/v1/namespaces', 'Namespace', 'v1');
    api.collection('/apis/coordination.k8s.io/v1/namespaces/distroless-guard/leases', 'Lease', 'coordination.k8s.io/v1');
    api.put('/api/v1/namespaces', { metadata: { name: 'shop', labels: { environment: 'staging' } } });
    api.put(POLICIES, object('Enforce'));
    server = await startTestServer({
      files: { kubeconfig: api.kubeconfig() },
      args: (dir) => ['--kubeconfig', join(dir, 'kubeconfig'), '--offline'],
      env: { POD_NAME: 'guard-0' },
    });
    await eventually('ready', async () => ((await server.client.get('/readyz')).status === 200 ? true : undefined));
  });
  after(async () => {
    await server.close();
    await api.close();
  });

  it('a staging namespace is outside the policy; relabelled production, the pod is denied', async () => {
    assert.deepEqual(await review(), { uid: 'b4f0c0de-1111-4e2d-9c1a-000000000001', allowed: true });
    api.put('/api/v1/namespaces', { metadata: { name: 'shop', labels: { environment: 'production' } } });
    const denied = await eventually('relabel applied', async () => {
      const response = await review();
      return response.allowed ? undefined : response;
    });
    assert.match(denied.status?.message ?? '', /\[escalation\/noPrivilegeEscalation\]/);
  });
});
