/**
 * Finding the cluster as kubectl does (client-go's clientcmd loading rules): --kubeconfig FILE alone, else every
 * file of $KUBECONFIG merged, else ~/.kube/config, else the pod's service account (in-cluster).
 *
 * @kubernetes/client-node's loadFromDefault merges $KUBECONFIG too, but not by kubectl's rules: a later file's
 * current-context replaces an earlier one's, a name two files define is an error, and a listed file that does not
 * exist is an error. clientcmd instead lets the first file that sets a value win (current-context, and each cluster,
 * user and context by name) and skips missing files; that is what is done here.
 */
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';

export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

export interface KubeConfigSource {
  /** --kubeconfig FILE: this file only, which must exist. */
  readonly path?: string | undefined;
  /** --context NAME: must be a context of the loaded configuration. */
  readonly context?: string | undefined;
  /** $KUBECONFIG, $HOME and $KUBERNETES_SERVICE_HOST are read from here. */
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /**
   * Where to look without --kubeconfig: `default` is kubectl's chain ($KUBECONFIG, ~/.kube/config, in-cluster);
   * `in-cluster` is the pod's service account only (serve: a developer's kubeconfig is never picked up unasked).
   */
  readonly fallback: 'default' | 'in-cluster';
}

/** The configuration to use, or undefined when there is none to be found (no file, not in a cluster). */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig | undefined {
  const kubeConfig = loadFiles(source);
  if (kubeConfig === undefined) {
    if (source.context !== undefined) throw new KubeConfigError(`--context ${source.context}: no kubeconfig to take it from (give --kubeconfig FILE or set KUBECONFIG)`);
    return undefined;
  }
  if (source.context !== undefined) {
    if (!kubeConfig.getContexts().some((c) => c.name === source.context)) {
      throw new KubeConfigError(`--context ${source.context}: no such context in the kubeconfig (have: ${kubeConfig.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    kubeConfig.setCurrentContext(source.context);
  }
  return kubeConfig;
}

function loadFiles(source: KubeConfigSource): KubeConfig | undefined {
  if (source.path !== undefined) return readFile(resolve(source.cwd, source.path));
  if (source.fallback === 'default') {
    const listed = (source.env['KUBECONFIG'] ?? '').split(delimiter).filter((path) => path !== '');
    if (listed.length > 0) {
      const existing = listed.map((path) => resolve(source.cwd, path)).filter((path) => existsSync(path));
      if (existing.length === 0) throw new KubeConfigError(`none of the KUBECONFIG files exists (${listed.join(delimiter)})`);
      return mergeKubeConfigs(existing.map(readFile));
    }
    const home = source.env['HOME'];
    const homeConfig = home !== undefined && home !== '' ? join(home, '.kube', 'config') : undefined;
    if (homeConfig !== undefined && existsSync(homeConfig)) return readFile(homeConfig);
  }
  if (source.env['KUBERNETES_SERVICE_HOST']) {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromCluster();
    return kubeConfig;
  }
  return undefined;
}

function readFile(path: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    // Relative certificate and key paths inside are made absolute against the file's directory, as kubectl does.
    kubeConfig.loadFromFile(path);
  } catch (err) {
    throw new KubeConfigError(`cannot load the kubeconfig ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return kubeConfig;
}

/** kubectl's merge of several kubeconfig files, in order: the first to set a value wins. */
export function mergeKubeConfigs(configs: readonly KubeConfig[]): KubeConfig {
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = '';
  for (const config of configs) {
    for (const cluster of config.getClusters()) if (!clusters.has(cluster.name)) clusters.set(cluster.name, cluster);
    for (const user of config.getUsers()) if (!users.has(user.name)) users.set(user.name, user);
    for (const context of config.getContexts()) if (!contexts.has(context.name)) contexts.set(context.name, context);
    if (currentContext === '') currentContext = config.getCurrentContext() ?? '';
  }
  const merged = new KubeConfig();
  merged.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext });
  return merged;
}
