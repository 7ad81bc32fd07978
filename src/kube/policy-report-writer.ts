import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { MANAGED_BY_SELECTOR, POLICY_REPORT_GROUP, POLICY_REPORT_PLURAL, POLICY_REPORT_VERSION, type PolicyReport } from '../report/render-policy-reports.js';
import { abortable } from '../shared/abortable.js';
import { describeKubeError, kubeErrorCode } from './api-error.js';

export interface PolicyReportWrites {
  /** "namespace/name" of each report. */
  readonly created: readonly string[];
  readonly replaced: readonly string[];
  readonly deleted: readonly string[];
}

export class PolicyReportWriteError extends Error {
  override readonly name = 'PolicyReportWriteError';
}

const coordinates = { group: POLICY_REPORT_GROUP, version: POLICY_REPORT_VERSION, plural: POLICY_REPORT_PLURAL };

/**
 * Makes the cluster's PolicyReports labelled as ours exactly `reports`: each is created or replaced (with the
 * resourceVersion read, so a concurrent writer makes this fail instead of being overwritten), and every other report
 * of ours (a namespace that has no covered workload any more, an old name) is deleted. Reports of other tools are
 * never touched.
 */
export async function replacePolicyReports(kubeConfig: KubeConfig, reports: readonly PolicyReport[], signal: AbortSignal): Promise<PolicyReportWrites> {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const call = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await abortable(request(), signal);
    } catch (err) {
      const hint = kubeErrorCode(err) === 404 && what.startsWith('list') ? ': is the PolicyReport CRD (wgpolicyk8s.io/v1alpha2) installed?' : '';
      throw new PolicyReportWriteError(`cannot ${what}: ${describeKubeError(err)}${hint}`, { cause: err });
    }
  };

  const listed = await call('list PolicyReports', () => api.listClusterCustomObject({ ...coordinates, labelSelector: MANAGED_BY_SELECTOR }));
  const existing = new Map(itemsOf(listed).map((item) => [`${item.namespace}/${item.name}`, item]));
  const created: string[] = [];
  const replaced: string[] = [];
  for (const report of reports) {
    const { namespace, name } = report.metadata;
    const key = `${namespace}/${name}`;
    const current = existing.get(key);
    if (current) {
      const body = { ...report, metadata: { ...report.metadata, resourceVersion: current.resourceVersion } };
      await call(`replace PolicyReport ${key}`, () => api.replaceNamespacedCustomObject({ ...coordinates, namespace, name, body }));
      replaced.push(key);
    } else {
      await call(`create PolicyReport ${key}`, () => api.createNamespacedCustomObject({ ...coordinates, namespace, body: report }));
      created.push(key);
    }
  }
  const wanted = new Set(reports.map((r) => `${r.metadata.namespace}/${r.metadata.name}`));
  const deleted: string[] = [];
  for (const [key, item] of existing) {
    if (wanted.has(key)) continue;
    await call(`delete PolicyReport ${key}`, () => api.deleteNamespacedCustomObject({ ...coordinates, namespace: item.namespace, name: item.name }));
    deleted.push(key);
  }
  return { created, replaced, deleted };
}

function itemsOf(list: unknown): { namespace: string; name: string; resourceVersion: string }[] {
  const items: unknown = typeof list === 'object' && list !== null && 'items' in list ? list.items : [];
  if (!Array.isArray(items)) return [];
  return items.flatMap((item: unknown) => {
    const metadata: unknown = typeof item === 'object' && item !== null && 'metadata' in item ? item.metadata : undefined;
    if (typeof metadata !== 'object' || metadata === null) return [];
    const field = (k: string): string => (k in metadata ? String((metadata as Record<string, unknown>)[k] ?? '') : '');
    return field('name') && field('namespace') ? [{ namespace: field('namespace'), name: field('name'), resourceVersion: field('resourceVersion') }] : [];
  });
}
