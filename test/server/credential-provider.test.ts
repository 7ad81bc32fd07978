/**
 * Clusters that pull through the kubelet's credential provider plugins (EKS, GKE, AKS) have pods with no
 * imagePullSecrets at all: `serve`, given the same CredentialProviderConfig and plugin binaries as the nodes, reads
 * their private images with the plugin's credentials, as the kubelet would pull them. Against the real
 * password-protected registry, over kube-apiserver's HTTPS call; the plugin is a /bin/sh script the test writes.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { programDir, providerBody, providerConfig, providerResponse, type ProgramDir } from '../support/credential-programs.js';
import { CATALOG, seedImages, type SeededCatalog } from '../support/images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { podReview } from '../support/reviews.js';
import { startTestServer, type TestServer } from '../support/serve-fixture.js';

const POLICY = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: prod}
spec:
  mode: Enforce
  failurePolicy: Fail
  rules:
    noPrivilegeEscalation: {action: "Off"}
`;

const entry = CATALOG.find((e) => e.name === 'distroless-static:nonroot');
if (entry === undefined) throw new Error('catalog lacks distroless-static:nonroot');

let registry: TestRegistry;
let seeded: SeededCatalog;
let bin: ProgramDir;
const env = (): NodeJS.ProcessEnv => ({ PATH: '/usr/bin:/bin' });

before(async () => {
  registry = await startRegistry({ auth: 'basic' });
  if (registry.credentials === undefined) throw new Error('basic-auth registry without credentials');
  seeded = await seedImages({ host: registry.host, credentials: registry.credentials }, [entry]);
  bin = await programDir('dg-serve-provider-');
  await bin.write('registry-provider', providerBody(bin.dir));
  await writeFile(join(bin.dir, 'response.json'), providerResponse('Registry', { [registry.host]: registry.credentials }, '1m'));
  await writeFile(join(bin.dir, 'matching.json'), providerConfig([{ name: 'registry-provider', matchImages: [registry.host] }]));
  await writeFile(join(bin.dir, 'elsewhere.json'), providerConfig([{ name: 'registry-provider', matchImages: ['*.dkr.ecr.*.amazonaws.com'] }]));
});
after(async () => {
  await Promise.all([registry.stop(), bin.remove()]);
});

async function admit(server: TestServer, spec: object): Promise<{ allowed: boolean; status?: { message: string } }> {
  const reply = await server.client.post('/validate?timeout=20s', JSON.stringify(podReview(spec as never, { namespace: 'shop' })));
  assert.equal(reply.status, 200, reply.body);
  return (reply.json as { response: { allowed: boolean; status?: { message: string } } }).response;
}

const pod = (): object => ({ containers: [{ name: 'app', image: seeded.get('distroless-static:nonroot').ref }] });
const providerFlags = (config: string): string[] => [
  '--image-credential-provider-config',
  join(bin.dir, config),
  '--image-credential-provider-bin-dir',
  bin.dir,
];
const labels = ['--namespace-labels', 'shop=environment=production'];

describe('serve with the kubelet credential provider config', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ policy: POLICY, env: env(), args: [...labels, ...providerFlags('matching.json')] });
  });
  after(async () => server.close());

  it('admits a pod with no imagePullSecrets: the plugin supplies the credentials, as on the node', async () => {
    const response = await admit(server, pod());
    assert.equal(response.allowed, true, response.status?.message);
    const requests = (await bin.asked()).map((line) => JSON.parse(line) as { kind: string; image: string });
    assert.deepEqual(requests.at(-1), {
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      kind: 'CredentialProviderRequest',
      image: `${registry.host}/distroless-static`,
    });
  });
  it('reuses the answer for its cacheDuration: more pods, no more plugin runs', async () => {
    const before = (await bin.asked()).length;
    for (let i = 0; i < 3; i++) assert.equal((await admit(server, pod())).allowed, true);
    assert.equal((await bin.asked()).length, before);
  });
});

describe("the plugins do not open the guard's own credentials to pods", () => {
  let server: TestServer;
  before(async () => {
    // The guard's own docker config holds the right password; without --fallback-credentials it serves no pod.
    const own = join(bin.dir, 'own-docker');
    await mkdir(own, { recursive: true });
    const creds = registry.credentials ?? { username: '', password: '' };
    await writeFile(
      join(own, 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } } }),
    );
    server = await startTestServer({ policy: POLICY, env: { ...env(), DOCKER_CONFIG: own }, args: [...labels, ...providerFlags('elsewhere.json')] });
  });
  after(async () => server.close());

  it('a plugin that does not match the image is not run, and the pod is refused for want of credentials', async () => {
    const before = (await bin.asked()).length;
    const response = await admit(server, pod());
    assert.equal(response.allowed, false);
    assert.match(response.status?.message ?? '', /no credentials are configured/);
    assert.equal((await bin.asked()).length, before);
  });
});
