/**
 * Kubeconfig loading as kubectl does it: every $KUBECONFIG file merged (the first to set a value wins, missing
 * files skipped), --kubeconfig alone, --context checked. Two real files in a temporary directory.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeConfigError, loadKubeConfig } from '../../../src/kube/kubeconfig.js';

/** A kubeconfig file with one cluster, user and context each, all named `name`. */
function kubeconfigYaml(name: string, options: { current?: string; server?: string } = {}): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    ...(options.current !== undefined ? [`current-context: ${options.current}`] : []),
    `clusters: [{name: ${name}, cluster: {server: "${options.server ?? `https://${name}.example:6443`}", certificate-authority: ca/${name}.crt}}]`,
    `users: [{name: ${name}, user: {token: token-${name}}}]`,
    `contexts: [{name: ${name}, context: {cluster: ${name}, user: ${name}}}]`,
    '',
  ].join('\n');
}

let dir: string;
let prod: string;
let dev: string;
let prodAgain: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dg-kubeconfig-'));
  [prod, dev, prodAgain] = [join(dir, 'prod.yaml'), join(dir, 'dev.yaml'), join(dir, 'prod-again.yaml')];
  await writeFile(prod, kubeconfigYaml('prod', { current: 'prod' }));
  await writeFile(dev, kubeconfigYaml('dev', { current: 'dev' }));
  // Defines "prod" again, pointing elsewhere: kubectl keeps the first file's.
  await writeFile(prodAgain, kubeconfigYaml('prod', { current: 'prod', server: 'https://impostor.example:6443' }));
});
after(() => rm(dir, { recursive: true, force: true }));

const load = (env: NodeJS.ProcessEnv, extra: { path?: string; context?: string } = {}): KubeConfig | undefined =>
  loadKubeConfig({ env: { HOME: '/nonexistent', ...env }, cwd: dir, fallback: 'default', ...extra });

describe('loadKubeConfig merges every $KUBECONFIG file as kubectl does', () => {
  it('has the contexts of both files; the first file sets the current context', () => {
    const config = load({ KUBECONFIG: `${dev}:${prod}` });
    assert.deepEqual(config?.getContexts().map((c) => c.name), ['dev', 'prod']);
    assert.equal(config?.getCurrentContext(), 'dev');
    assert.equal(config?.getCurrentCluster()?.server, 'https://dev.example:6443');
  });

  it('--context picks a context of the second file, with its cluster and user', () => {
    const config = load({ KUBECONFIG: `${dev}:${prod}` }, { context: 'prod' });
    assert.equal(config?.getCurrentCluster()?.server, 'https://prod.example:6443');
    assert.equal(config?.getCurrentUser()?.token, 'token-prod');
  });

  it('a name defined twice keeps the first definition (no error)', () => {
    const config = load({ KUBECONFIG: `${prod}:${prodAgain}` });
    assert.equal(config?.getClusters().length, 1);
    assert.equal(config?.getCurrentCluster()?.server, 'https://prod.example:6443');
  });

  it('a listed file that does not exist is skipped; none existing is an error', () => {
    assert.equal(load({ KUBECONFIG: `${join(dir, 'absent.yaml')}:${prod}` })?.getCurrentContext(), 'prod');
    assert.throws(() => load({ KUBECONFIG: join(dir, 'absent.yaml') }), KubeConfigError);
  });

  it('relative certificate paths are resolved against their own file', () => {
    assert.equal(load({ KUBECONFIG: `${dev}:${prod}` }, { context: 'prod' })?.getCurrentCluster()?.caFile, join(dir, 'ca/prod.crt'));
  });

  it('--kubeconfig wins over $KUBECONFIG and reads that file alone', () => {
    const config = load({ KUBECONFIG: dev }, { path: 'prod.yaml' });
    assert.deepEqual(config?.getContexts().map((c) => c.name), ['prod']);
  });

  it('an unknown --context names the contexts there are', () => {
    assert.throws(
      () => load({ KUBECONFIG: `${dev}:${prod}` }, { context: 'staging' }),
      /--context staging: no such context in the kubeconfig \(have: dev, prod\)/,
    );
  });

  it('nothing to load (no $KUBECONFIG, no ~/.kube/config, not in a cluster) is undefined; in-cluster only is too', () => {
    assert.equal(load({}), undefined);
    assert.equal(loadKubeConfig({ env: { KUBECONFIG: prod }, cwd: dir, fallback: 'in-cluster' }), undefined);
  });

  it('why not client-node loadFromDefault: it merges too, but the last file sets the current context and a name defined twice throws', () => {
    const saved = process.env['KUBECONFIG'];
    try {
      process.env['KUBECONFIG'] = `${dev}:${prod}`;
      const theirs = new KubeConfig();
      theirs.loadFromDefault();
      assert.deepEqual(theirs.getContexts().map((c) => c.name), ['dev', 'prod']);
      assert.equal(theirs.getCurrentContext(), 'prod', 'kubectl would say dev');
      process.env['KUBECONFIG'] = `${prod}:${prodAgain}`;
      assert.throws(() => new KubeConfig().loadFromDefault(), /Duplicate cluster: prod/);
    } finally {
      if (saved === undefined) delete process.env['KUBECONFIG'];
      else process.env['KUBECONFIG'] = saved;
    }
  });
});
