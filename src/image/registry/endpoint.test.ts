import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEndpointResolver, EndpointError } from './endpoint.js';

describe('endpoint resolution', () => {
  const resolve = createEndpointResolver({
    mirrors: { 'gcr.io': '127.0.0.1:5001', 'quay.io': 'https://127.0.0.1:7000' },
    insecureRegistries: ['registry.lan:5000'],
  });
  const cases: Array<[string, string, string, string, boolean]> = [
    ['Docker Hub goes to registry-1.docker.io over HTTPS', 'docker.io', 'https://registry-1.docker.io', '', false],
    ['a mirror to a loopback host is plain HTTP', 'gcr.io', 'http://127.0.0.1:5001', '', true],
    ['a mirror with an explicit scheme keeps it', 'quay.io', 'https://127.0.0.1:7000', '', true],
    ['an insecure registry is plain HTTP', 'registry.lan:5000', 'http://registry.lan:5000', '', false],
    ['the same host on another port is not insecure', 'registry.lan:5001', 'https://registry.lan:5001', '', false],
    ['localhost is plain HTTP', 'localhost:5000', 'http://localhost:5000', '', false],
    ['[::1] is plain HTTP', '[::1]:5000', 'http://[::1]:5000', '', false],
    ['any other host is HTTPS', 'ghcr.io', 'https://ghcr.io', '', false],
  ];
  for (const [name, registry, baseUrl, prefix, mirrored] of cases) {
    it(name, () => {
      const e = resolve(registry);
      assert.equal(e.baseUrl, baseUrl);
      assert.equal(e.repositoryPrefix, prefix);
      assert.equal(e.mirrored, mirrored);
      assert.equal(e.registry, registry);
    });
  }
  it('a mirror keyed on index.docker.io serves docker.io and keeps its path prefix', () => {
    const e = createEndpointResolver({ mirrors: { 'index.docker.io': 'mirror.corp:5000/hub' } })('docker.io');
    assert.deepEqual(e, { registry: 'docker.io', host: 'mirror.corp:5000', baseUrl: 'https://mirror.corp:5000', repositoryPrefix: 'hub/', mirrored: true });
  });
  it('guarded (serve): loopback is HTTPS unless listed insecure, by host or by IP range', () => {
    const guarded = createEndpointResolver({ egress: 'guarded', insecureRegistries: ['127.0.0.0/8', 'registry.lan:5000'] });
    assert.equal(guarded('127.0.0.1:5000').baseUrl, 'http://127.0.0.1:5000');
    assert.equal(guarded('registry.lan:5000').baseUrl, 'http://registry.lan:5000');
    assert.equal(guarded('localhost:5000').baseUrl, 'https://localhost:5000');
    assert.equal(createEndpointResolver({ egress: 'guarded' })('127.0.0.1:5000').baseUrl, 'https://127.0.0.1:5000');
  });
  it('refuses a malformed mirror', () => {
    assert.throws(() => createEndpointResolver({ mirrors: { 'gcr.io': '' } }), EndpointError);
  });
});
