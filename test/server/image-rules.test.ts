import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { podReview } from '../support/reviews.js';
import { imageTestServer } from '../support/serve-fixture.js';

/** The whole path: kube-apiserver's HTTPS call → policy → real registry → layer scan → rules → answer. */
const POLICY = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata:
  name: prod
spec:
  mode: Enforce
  failurePolicy: Fail
  production:
    namespaces: ["shop"]
  rules:
    noPrivilegeEscalation: {action: Disabled}
`;

type Response = { allowed: boolean; status?: { message: string }; warnings?: string[] };

const fixture = imageTestServer(POLICY);

async function review(image: string, securityContext?: object): Promise<Response> {
  const spec = { containers: [{ name: 'app', image, ...(securityContext ? { securityContext } : {}) }] };
  const reply = await fixture.server().client.post('/validate?timeout=30s', JSON.stringify(podReview(spec, { namespace: 'shop' })));
  assert.equal(reply.status, 200, reply.body);
  return (reply.json as { response: Response }).response;
}

describe('image rules over real HTTPS against a real registry', () => {
  it('a Debian image is denied in production, naming the shell paths, the package managers and the root user', async () => {
    const response = await review(fixture.registry().get('debian-full:12').ref);
    assert.equal(response.allowed, false);
    const message = response.status?.message ?? '';
    assert.match(message, /\[prod\/noShell\] container "app" \([^)]*debian-full:12\): image has a shell: [^.]*\/usr\/bin\/bash/);
    assert.match(message, /\[prod\/noPackageManager\] .*image has a package manager: .*apt/);
    assert.match(message, /\[prod\/nonRoot\] .*image runs as root/);
  });

  it('a Python image on Debian 12 is denied one finding per line, each fix naming the distroless image its runtime needs', async () => {
    const response = await review(fixture.registry().get('python-slim:3.11').ref);
    assert.equal(response.allowed, false);
    const lines = (response.status?.message ?? '').split('\n');
    assert.deepEqual(lines.map((line) => /^\[prod\/(\w+)\] container "app" /.exec(line)?.[1]), ['noShell', 'noPackageManager', 'nonRoot']);
    const fix = 'gcr.io/distroless/python3-debian13:nonroot';
    assert.ok(lines[0]?.endsWith(`. Fix: build FROM ${fix} (python 3.11 found on Debian 12)`), lines[0]);
    assert.ok(lines[1]?.endsWith(`. Fix: build FROM ${fix} (python 3.11 found on Debian 12)`), lines[1]);
    assert.ok(lines[2]?.endsWith(`. Fix: set runAsUser: 65532, or build FROM ${fix}`), lines[2]);
  });

  it('a distroless nonroot image is allowed with nothing to say', async () => {
    const response = await review(fixture.registry().get('distroless-static:nonroot').ref);
    assert.deepEqual(response, { uid: 'b4f0c0de-1111-4e2d-9c1a-000000000001', allowed: true });
  });

  it('runAsNonRoot: true on an image with a named user is denied with the uid to set', async () => {
    const response = await review(fixture.registry().get('distroless-named:nonroot').ref, { runAsNonRoot: true });
    assert.equal(response.allowed, false);
    assert.match(response.status?.message ?? '', /non-numeric user nonroot: kubelet cannot verify runAsNonRoot.*Fix: set runAsUser: 65532/);
  });

  it('a debug variant keeping its language entrypoint is recognised by content, not by tag', async () => {
    const response = await review(fixture.registry().get('distroless-python:debug').pinned);
    assert.equal(response.allowed, false);
    assert.match(response.status?.message ?? '', /\[prod\/noDebugTag\] .*debug variant by content/);
    assert.match(response.status?.message ?? '', /\[prod\/noShell\] .*\/busybox\/sh/);
  });

  it('an image the registry does not have is decided by failurePolicy Fail, saying what failed', async () => {
    const response = await review(`${fixture.registry().host}/no-such/image:1`);
    assert.equal(response.allowed, false);
    assert.match(response.status?.message ?? '', /\[prod\/noShell\] .*could not inspect image: .*tag 1 of .*no-such\/image does not exist \(404\)/);
  });
});
