/**
 * Registry faults, end to end: kube-apiserver's HTTPS call → the guard → a fault proxy in front of a real registry.
 * Whatever the registry does, the admission is decided before ?timeout=, by the policy's failurePolicy, with a
 * message that says what failed; and nothing partial or wrong is cached: once the fault is lifted, the next
 * admission of the same image gets its real facts. Each case has an image of its own (its own digests), so what one
 * case caches cannot hide a fault of another.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { installTestResolver, type TestResolver } from '../support/dns.js';
import { buildImage, pushImage, type BuiltImage } from '../support/image-builder.js';
import { createRegistryClient } from '../support/registry-client.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import type { Fault, ProxyRequest } from '../support/counting-proxy.js';
import { podReview } from '../support/reviews.js';
import { startTestServer, type TestServer } from '../support/serve-fixture.js';
import { exe, file } from '../support/tree.js';

const POLICIES = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: strict}
spec:
  mode: Enforce
  failurePolicy: Fail
  match: {namespaces: ["prod"]}
  rules:
    noPrivilegeEscalation: {action: Disabled}
---
apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: lenient}
spec:
  mode: Enforce
  failurePolicy: Ignore
  match: {namespaces: ["dev"]}
  rules:
    noPrivilegeEscalation: {action: Disabled}
`;

/** A host name the test resolver serves (or breaks): the DNS case reaches the proxy through it. */
const NAMED_HOST = 'registry.faults.test';

interface CaseImage {
  readonly repository: string;
  readonly ref: string;
  readonly built: BuiltImage;
  /** The layer holding the shell (the big one, ~192 KiB). */
  readonly layer: { readonly digest: string; readonly size: number; readonly path: string };
  readonly configPath: string;
}

interface FaultCase {
  readonly name: string;
  /** The fault for this case's requests (the hook only sees requests for the case's repository). */
  readonly fault: (image: CaseImage) => (request: ProxyRequest) => Fault | undefined;
  /** ?timeout= of the admission (default 10s). */
  readonly timeout?: string;
  readonly namespace?: 'prod' | 'dev';
  /** What the answer under the fault must say; undefined: the fault is absorbed and the facts are right at once. */
  readonly says?: RegExp;
  /** The image is referenced through the named host (DNS case). */
  readonly named?: boolean;
}

const json = (status: number, code: string, message: string, headers: Record<string, string> = {}): Fault => ({
  status,
  body: JSON.stringify({ errors: [{ code, message }] }),
  headers,
});
/** Every text the faults below put in a body: none of it may reach an admission answer. */
const REMOTE_TEXT = /internal server error|maintenance|authentication required|Please log in|no anonymous access|requested access to the resource is denied/;
const isHead = (r: ProxyRequest): boolean => r.method === 'HEAD';
const isManifestGet = (r: ProxyRequest): boolean => r.method === 'GET' && r.path.includes('/manifests/');

const CASES: readonly FaultCase[] = [
  {
    name: 'the registry does not answer the tag lookup: timeout, saying it waited for the tag',
    fault: () => (r) => (isHead(r) ? { delayMs: 60_000 } : undefined),
    timeout: '2s',
    says: /could not inspect image: inspecting \S+ did not finish before the deadline \(waiting for the registry's answer for tag v1 from [^)]+\)/,
  },
  {
    name: 'a layer download stalls: timeout, naming the layer',
    fault: (img) => (r) => (r.path === img.layer.path ? { stallBodyMs: 60_000 } : undefined),
    timeout: '3s',
    says: /did not finish before the deadline \(waiting for layer 2 of 2 \(sha256:[0-9a-f]{12}…, 19\d KiB compressed\) from [^)]+\)/,
  },
  {
    name: 'the registry does not answer under failurePolicy Ignore: admitted, with a warning saying why',
    fault: () => (r) => (isHead(r) ? { delayMs: 60_000 } : undefined),
    timeout: '2s',
    namespace: 'dev',
    // One warning per rule naming the containers, within 120 characters; the reason is in the audit annotation.
    says: new RegExp(
      String.raw`^\[distroless-guard\] lenient\/noShell skipped \(failurePolicy Ignore\) for container app: could not inspect image[\s\S]*` +
        String.raw`NotChecked: container "app" \(\S+\): could not inspect image: inspecting \S+ did not finish before the deadline`,
      'm',
    ),
  },
  {
    name: 'the connection is reset in the middle of a layer blob, every time',
    fault: (img) => (r) => (r.path === img.layer.path ? { resetAfterBytes: Math.floor(img.layer.size / 2) } : undefined),
    says: /layer sha256:[0-9a-f]{64} of \S+ \(after \d+ of \d+ bytes\) broke off before its end/,
  },
  {
    name: 'the connection is reset in the middle of a layer blob once: fetched again, right facts at once',
    fault: (img) => (r) => (r.path === img.layer.path && r.nth === 1 ? { resetAfterBytes: Math.floor(img.layer.size / 2) } : undefined),
  },
  {
    name: 'the connection is reset before any answer, every time',
    fault: () => (r) => (isManifestGet(r) ? { reset: true } : undefined),
    says: /cannot reach \S+ for manifest sha256:/,
  },
  {
    name: '500 on every manifest request',
    fault: () => (r) => (isManifestGet(r) ? json(500, 'UNKNOWN', 'internal server error') : undefined),
    says: /the registry failed \(500\) on manifest sha256:[0-9a-f]{64} of \S+/,
  },
  {
    name: '503 with Retry-After: 1 on every blob request: retried, then refused with the status',
    fault: () => (r) => (r.path.includes('/blobs/') ? json(503, 'UNAVAILABLE', 'maintenance', { 'retry-after': '1' }) : undefined),
    says: /the registry failed \(503\) on (config|layer) sha256:[0-9a-f]{64} of \S+/,
  },
  {
    name: '503 once on the manifest: retried, right facts at once',
    fault: () => (r) => (isManifestGet(r) && r.nth === 1 ? json(503, 'UNAVAILABLE', 'maintenance', { 'retry-after': '0' }) : undefined),
  },
  {
    name: '429 once with Retry-After: 1: waited for, right facts at once',
    fault: () => (r) => (isHead(r) && r.nth === 1 ? { status: 429, headers: { 'retry-after': '1' } } : undefined),
  },
  {
    name: '429 with a Retry-After beyond the deadline: not waited for, refused saying rate-limited',
    fault: () => (r) => (isHead(r) ? { status: 429, headers: { 'retry-after': '8' } } : undefined),
    timeout: '5s',
    says: /the registry rate-limits us \(429\) for tag v1 of \S+; retry later or use a mirror/,
  },
  {
    name: 'a layer blob cut short (the connection closes half-way), every time',
    fault: (img) => (r) => (r.path === img.layer.path ? { truncateAfterBytes: Math.floor(img.layer.size / 2) } : undefined),
    says: /layer sha256:[0-9a-f]{64} of \S+ \(after \d+ of \d+ bytes\) broke off before its end/,
  },
  {
    name: 'a layer blob whose bytes do not match its digest (one byte flipped)',
    fault: (img) => (r) => (r.path === img.layer.path ? { corruptByteAt: 1000 } : undefined),
    says: /layer sha256:[0-9a-f]{64} of \S+ does not match its digest \(got sha256:[0-9a-f]{64}\); the registry or a proxy served wrong content/,
  },
  {
    name: 'a config blob whose bytes do not match its digest',
    fault: (img) => (r) => (r.path === img.configPath ? { corruptByteAt: 5 } : undefined),
    says: /config sha256:[0-9a-f]{64} of \S+ does not match its digest/,
  },
  {
    name: 'the manifest with a wrong Content-Type (text/plain): read by its mediaType, right facts at once',
    fault: () => (r) => (isManifestGet(r) || isHead(r) ? { contentType: 'text/plain; charset=utf-8' } : undefined),
  },
  {
    name: 'an HTML page with 200 instead of the manifest (a captive portal)',
    fault: () => (r) =>
      isManifestGet(r) ? { status: 200, body: '<html><body>Please log in</body></html>', headers: { 'content-type': 'text/html' } } : undefined,
    says: /manifest sha256:[0-9a-f]{64} of \S+ does not match its digest/,
  },
  {
    name: 'auth failure: 401 without a challenge',
    fault: () => (r) => (r.path.startsWith('/v2/') ? json(401, 'UNAUTHORIZED', 'authentication required') : undefined),
    says: /refused the request \(401\) without a usable WWW-Authenticate challenge: no credentials are configured for it/,
  },
  {
    name: 'auth failure: a Bearer challenge whose token service refuses',
    fault: () => (r) => {
      if (r.path === '/token') return json(401, 'UNAUTHORIZED', 'no anonymous access');
      const realm = `http://${r.headers.host ?? ''}/token`;
      return json(401, 'UNAUTHORIZED', 'authentication required', { 'www-authenticate': `Bearer realm="${realm}",service="test",scope="repository:x:pull"` });
    },
    says: /the token service of \S+ refused repository:\S+:pull \(401\): no credentials are configured for it/,
  },
  {
    name: 'auth failure: 403 on the blobs',
    fault: () => (r) => (r.path.includes('/blobs/') ? json(403, 'DENIED', 'requested access to the resource is denied') : undefined),
    says: /access to (config|layer) sha256:[0-9a-f]{64} of \S+ was refused \(403\); check the pull secret/,
  },
  {
    name: 'DNS failure: the registry host does not resolve',
    fault: () => () => undefined,
    named: true,
    says: /cannot reach registry\.faults\.test:\d+ for tag v1/,
  },
];

let registry: TestRegistry;
let server: TestServer;
let resolver: TestResolver;
const images = new Map<string, CaseImage>();

type Answer = { allowed: boolean; status?: { message: string }; warnings?: string[]; auditAnnotations?: Record<string, string> };

async function admit(image: string, namespace: string, timeout: string): Promise<{ answer: Answer; ms: number }> {
  const review = podReview({ containers: [{ name: 'app', image }] }, { namespace });
  const started = performance.now();
  const reply = await server.client.post(`/validate?timeout=${timeout}`, JSON.stringify(review));
  const ms = performance.now() - started;
  assert.equal(reply.status, 200, reply.body);
  return { answer: (reply.json as { response: Answer }).response, ms };
}

const text = (answer: Answer): string => [answer.status?.message ?? '', ...(answer.warnings ?? []), ...Object.values(answer.auditAnnotations ?? {})].join('\n');

/** The image's real facts: a shell in the top layer and root as its user, judged as such (never "could not inspect"). */
function assertRightFacts(answer: Answer, namespace: string): void {
  const said = text(answer);
  assert.doesNotMatch(said, /could not inspect|skipped \(failurePolicy Ignore\)/, said);
  if (namespace === 'prod') {
    assert.equal(answer.allowed, false, said);
    assert.match(said, /\[strict\/noShell\] container "app" \(\S+\): image has a shell: \/usr\/bin\/sh/);
    assert.match(said, /\[strict\/nonRoot\] .*runs as root/);
  }
}

before(async () => {
  resolver = await installTestResolver();
  registry = await startRegistry();
  server = await startTestServer({ policy: POLICIES, args: ['--insecure-registry', `${NAMED_HOST}:${registry.host.split(':')[1]}`], logLevel: 'silent' });
  const push = createRegistryClient(registry.directHost);
  const base = { entries: [file('etc/passwd', 'root:x:0:0:root:/root:/sbin/nologin\n')] };
  for (const [i, c] of CASES.entries()) {
    const repository = `faults/case-${i}`;
    const built = await buildImage({
      layers: [base, { entries: [exe('usr/bin/sh', `#!fake shell of case ${i}\n`), file('data/blob.bin', randomBytes(192 * 1024))], level: 1 }],
      config: { User: '0' },
    });
    await pushImage(push, repository, built, ['v1']);
    const top = built.layers[1];
    assert.ok(top !== undefined);
    const host = c.named === true ? `${NAMED_HOST}:${registry.host.split(':')[1]}` : registry.host;
    images.set(c.name, {
      repository,
      ref: `${host}/${repository}:v1`,
      built,
      layer: { digest: top.digest, size: top.size, path: `/v2/${repository}/blobs/${top.digest}` },
      configPath: `/v2/${repository}/blobs/${built.config.digest}`,
    });
  }
});

after(async () => {
  await server?.close();
  await registry?.stop();
});

describe('registry faults: decided before the deadline by failurePolicy, saying what failed; nothing wrong cached', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const img = images.get(c.name);
      assert.ok(img !== undefined);
      const namespace = c.namespace ?? 'prod';
      const timeout = c.timeout ?? '10s';
      const timeoutMs = Number(timeout.replace('s', '')) * 1000;
      const hook = c.fault(img);
      registry.proxy.setFault((r) => (r.path.startsWith(`/v2/${img.repository}/`) || r.path === '/token' ? hook(r) : undefined));
      if (c.named === true) resolver.fail(NAMED_HOST);

      const { answer, ms } = await admit(img.ref, namespace, timeout);
      assert.ok(ms < timeoutMs, `answered after ${ms.toFixed(0)} ms, within the ${timeout} webhook timeout`);
      if (c.says === undefined) {
        assertRightFacts(answer, namespace);
      } else {
        const said = text(answer);
        if (namespace === 'prod') {
          assert.equal(answer.allowed, false, 'failurePolicy Fail denies');
          assert.match(said, /\[strict\/noShell\] container "app" \(\S+\): could not inspect image: /);
        } else {
          assert.equal(answer.allowed, true, 'failurePolicy Ignore admits');
        }
        assert.match(said, c.says);
        // What the registry wrote is the operator's (logs), never the pod author's: no remote text comes back.
        assert.doesNotMatch(said, REMOTE_TEXT, said);
      }

      // The fault is lifted: the very next admission gets the image's real facts.
      if (c.named === true) resolver.serve(NAMED_HOST);
      await registry.proxy.lift();
      const again = await admit(img.ref, "prod", "10s");
      assertRightFacts(again.answer, 'prod');
    });
  }
});
