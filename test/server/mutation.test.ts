/**
 * /mutate end to end: kube-apiserver's HTTPS call → policy → real registry → layer scan → patch, then /validate on
 * the patched object, as the API server runs mutating webhooks before validating ones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { V1PodSpec } from '@kubernetes/client-node';
import { apply_patch } from 'jsonpatch';
import { kubernetesErrors } from '../support/kube-validation.js';
import { admissionReview, decodePatch, objectOf } from '../support/reviews.js';
import { imageTestServer } from '../support/serve-fixture.js';

const POLICY = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata:
  name: prod
spec:
  mode: Enforce
  failurePolicy: Fail
  production:
    namespaces: ["shop"]
  mutate:
    action: Enforce
`;

const HARDENED = { runAsNonRoot: true, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } };

interface Response {
  readonly uid: string;
  readonly allowed: boolean;
  readonly patchType?: string;
  readonly patch?: string;
  readonly status?: { readonly code: number; readonly message: string };
  readonly warnings?: readonly string[];
}

const fixture = imageTestServer(POLICY);

async function post(path: '/mutate' | '/validate', object: unknown): Promise<Response> {
  const reply = await fixture.server().client.post(`${path}?timeout=30s`, JSON.stringify(admissionReview('Deployment', object, { namespace: 'shop' })));
  assert.equal(reply.status, 200, reply.body);
  return (reply.json as { response: Response }).response;
}

type Deployment = { spec: { template: { spec: V1PodSpec } } };

describe('mutation over real HTTPS against a real registry', () => {
  it(
    'a named-user distroless image is pinned and given runAsUser 65532; a Debian image beside it is pinned, then refused by /validate naming its shells',
    async () => {
      const named = fixture.registry().get('distroless-named:nonroot');
      const debian = fixture.registry().get('debian-full:12');
      const deployment = objectOf('Deployment', 'web', {
        containers: [
          { name: 'api', image: named.ref },
          { name: 'tools', image: debian.ref },
        ],
      });

    const mutated = await post('/mutate', deployment);
    assert.equal(mutated.allowed, true);
    assert.equal(mutated.patchType, 'JSONPatch');
    const patch = decodePatch(mutated);
    assert.deepEqual(patch, [
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `${named.ref}@${named.digest}` },
      { op: 'add', path: '/spec/template/spec/containers/0/securityContext', value: { ...HARDENED, runAsUser: 65532, runAsGroup: 65532 } },
      { op: 'replace', path: '/spec/template/spec/containers/1/image', value: `${debian.ref}@${debian.digest}` },
      { op: 'add', path: '/spec/template/spec/containers/1/securityContext', value: HARDENED },
    ]);
    assert.deepEqual(mutated.warnings, [
      // Within 120 characters: with its image this note would be 122, so the container is named without it.
      '[distroless-guard] root image in container "tools": no User set, no rootFallbackUid: runAsUser left unset',
    ]);

      const patched = apply_patch(structuredClone(deployment), patch) as Deployment;
      assert.deepEqual(kubernetesErrors(patched.spec.template.spec), []);
      const validated = await post('/validate', patched);
      assert.equal(validated.allowed, false);
      const message = validated.status?.message ?? '';
      assert.match(
        message,
        new RegExp(
          String.raw`\[prod\/noShell\] container "tools" \([^)]*debian-full:12@sha256:[0-9a-f]{64}\): image has a shell: ` +
            String.raw`\/usr\/bin\/bash, \/usr\/bin\/dash, \/usr\/bin\/rbash, \/usr\/bin\/sh`,
        ),
      );
      assert.doesNotMatch(message, /container "api"/, 'the mutated distroless container passes every rule');

    const again = await post('/mutate', patched);
    assert.equal(again.patch, undefined, 're-admitting the mutated Deployment changes nothing');
  });

  it('the mutated named-user Deployment alone passes /validate', async () => {
    const named = fixture.registry().get('distroless-named:nonroot');
    const deployment = objectOf('Deployment', 'web', { containers: [{ name: 'api', image: named.ref }] });
    const patched = apply_patch(structuredClone(deployment), decodePatch(await post('/mutate', deployment))) as Deployment;
    assert.equal(patched.spec.template.spec.containers[0]?.image, `${named.ref}@${named.digest}`);
    assert.equal(patched.spec.template.spec.containers[0]?.securityContext?.runAsUser, 65532);
    const validated = await post('/validate', patched);
    assert.deepEqual(validated, { uid: validated.uid, allowed: true });
  });

  it('without the uid, the same image with runAsNonRoot: true is what kubelet would refuse, and /validate says so', async () => {
    const named = fixture.registry().get('distroless-named:nonroot');
    const deployment = objectOf('Deployment', 'web', { containers: [{ name: 'api', image: named.ref, securityContext: HARDENED }] });
    const validated = await post('/validate', deployment);
    assert.equal(validated.allowed, false);
    assert.match(validated.status?.message ?? '', /non-numeric user nonroot: kubelet cannot verify runAsNonRoot.*Fix: set runAsUser: 65532/);
  });

  it('a scratch-style image without /tmp gets an emptyDir mounted there', async () => {
    const scratch = fixture.registry().get('numeric-user-group:latest');
    const deployment = objectOf('Deployment', 'web', { containers: [{ name: 'server', image: scratch.ref }] });
    const patch = decodePatch(await post('/mutate', deployment));
    assert.deepEqual(patch, [
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `${scratch.ref}@${scratch.digest}` },
      { op: 'add', path: '/spec/template/spec/containers/0/securityContext', value: { ...HARDENED, runAsUser: 10001, runAsGroup: 10001 } },
      { op: 'add', path: '/spec/template/spec/containers/0/volumeMounts', value: [{ name: 'dg-server-tmp', mountPath: '/tmp' }] },
      { op: 'add', path: '/spec/template/spec/volumes', value: [{ name: 'dg-server-tmp', emptyDir: {} }] },
    ]);
    const patched = apply_patch(structuredClone(deployment), patch);
    assert.equal((await post('/validate', patched)).allowed, true);
  });
});
