/**
 * `distroless-guard audit`: what would switching the installed policies to Enforce break? Lists the running pods
 * (kubeconfig), judges each with the validating webhook's own code against the cluster's DistrolessPolicies with
 * every DryRun raised to Enforce, and reports the workloads that would be denied, grouped by namespace and owner.
 * Exit 0 once the audit is done (whatever it found), 1 when the cluster cannot be read, 2 for a usage error.
 */
import { resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { readClusterState } from '../kube/cluster-state.js';
import { replacePolicyReports } from '../kube/policy-report-writer.js';
import { KubeConfigError, loadKubeConfig } from '../kube/kubeconfig.js';
import { kubePullSecrets } from '../kube/pull-secrets.js';
import { asEnforced } from '../policy/as-enforced.js';
import { parsePolicies } from '../policy/load.js';
import { PolicyStore } from '../policy/store.js';
import { RULE_NAMES } from '../policy/types.js';
import { auditPods } from '../report/audit-pods.js';
import { auditReport, type AuditedPod, type AuditReport } from '../report/audit-report.js';
import { policyReports } from '../report/render-policy-reports.js';
import { renderAuditHtml } from '../report/render-audit-html.js';
import { renderAuditTable } from '../report/render-audit-table.js';
import type { ReviewDependencies } from '../review/review.js';
import { staticNamespaces } from '../review/namespace-directory.js';
import { portableYaml } from '../shared/portable-yaml.js';
import { writeAtomically } from '../shared/write-atomically.js';
import { EXIT, InputError, UsageError, type CommandIo } from './io.js';
import { readPolicyText } from './policy-file.js';
import { AUDIT_COMMAND, AUDIT_FORMATS } from './audit-command.js';
import { parseFlags } from './flags.js';
import { outputFormat } from './output-flag.js';
import { batchInspection } from './registry-flags.js';
import { reportFacts } from './report-facts.js';

type Format = (typeof AUDIT_FORMATS)[number];

export async function runAudit(args: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(AUDIT_COMMAND, args);
  const { format, file } = auditOutput(values);
  const { concurrency, timeoutMs } = batchInspection(values);
  const policyFile = values.policy === undefined ? undefined : await readPolicyFile(resolve(io.cwd, values.policy), values.policy);
  const kubeConfig = clusterConfig(values, io);

  const signal = AbortSignal.timeout(timeoutMs);
  const cluster = await readClusterState(kubeConfig, { policies: policyFile === undefined }, signal);
  for (const note of cluster.notes) io.stderr.write(`distroless-guard audit: ${note}\n`);

  const policies = new PolicyStore({ guardNamespace: values['guard-namespace'] });
  const documents = policyFile === undefined ? cluster.policies : policyFile.documents;
  const loaded = policies.loadObjects(documents.map(asEnforced));
  for (const state of loaded.states.filter((s) => !s.ready)) io.stderr.write(`distroless-guard audit: ${state.error ?? state.name}: not part of the audit\n`);
  for (const state of loaded.states) for (const warning of state.warnings ?? []) io.stderr.write(`distroless-guard audit: warning: policy ${state.name}: ${warning}\n`);
  if (documents.length === 0) io.stderr.write('distroless-guard audit: no DistrolessPolicy in the cluster: nothing would be denied\n');

  const pullErrors: string[] = [];
  const { facts, progress } = await reportFacts({
    offline: values.offline,
    registry: values,
    concurrency,
    env: io.env,
    stderr: io.stderr,
    signal,
    pullCredentials: kubePullSecrets(kubeConfig, { onError: (what, err) => pullErrors.push(`${what}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`) }),
  });
  const deps: ReviewDependencies = { policies: () => policies.current(), namespaces: staticNamespaces(cluster.namespaces), facts: facts.source };
  let pods: AuditedPod[];
  try {
    pods = await auditPods(cluster.pods, cluster.owners, deps, signal);
  } finally {
    progress.end();
  }
  if (pullErrors.length > 0) {
    io.stderr.write(`distroless-guard audit: ${pullErrors.length} pull-credential read(s) failed (first: ${pullErrors[0]}); those images were inspected without them\n`);
  }
  const tally = facts.tally();
  const report = auditReport(pods, {
    generatedAt: new Date(),
    context: kubeConfig.getCurrentContext(),
    policies: policies.current().map((p) => p.name),
    images: tally.images,
    digests: tally.digests,
  });

  if (values['write-reports']) {
    const compiled = new Map(policies.current().map((p) => [p.name, p]));
    const reports = policyReports(report, {
      activeRules: (name) => RULE_NAMES.filter((rule) => (compiled.get(name)?.actionOf(rule) ?? 'Disabled') !== 'Disabled'),
      now: new Date(report.generatedAt),
      offline: values.offline,
    });
    const writes = await replacePolicyReports(kubeConfig, reports, AbortSignal.timeout(60_000));
    io.stderr.write(`distroless-guard audit: PolicyReports: ${writes.created.length} created, ${writes.replaced.length} replaced, ${writes.deleted.length} deleted\n`);
  }

  const text = render(report, format);
  if (file === undefined) io.stdout.write(text);
  else await writeAtomically(resolve(io.cwd, file), text, 0o644);
  return EXIT.ok;
}

function render(report: AuditReport, format: Format): string {
  switch (format) {
    case 'table':
      return renderAuditTable(report);
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'yaml':
      return portableYaml(report);
    case 'html':
      return renderAuditHtml(report);
  }
}

async function readPolicyFile(path: string, name: string): Promise<{ documents: unknown[] }> {
  const text = await readPolicyText(path, name);
  try {
    return { documents: parsePolicies(text, name) };
  } catch (err) {
    throw new InputError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/**
 * The report's format and where it goes. `-o` took a file before it took a format (kubectl's spelling): a value
 * that is not a format still names the file, so `audit --format html -o audit.html` works as it always did.
 */
function auditOutput(values: { output: string | undefined; format: string | undefined; 'output-file': string | undefined }): { format: Format; file: string | undefined } {
  const legacyFile = values.output !== undefined && !AUDIT_FORMATS.some((f) => f === values.output) && /[./]/.test(values.output);
  if (legacyFile && values['output-file'] !== undefined) throw new UsageError(`-o ${values.output} and --output-file both name the output file: give one`);
  const format = outputFormat({ output: legacyFile ? undefined : values.output, format: values.format }, AUDIT_FORMATS);
  return { format, file: legacyFile ? values.output : values['output-file'] };
}

/** The cluster to audit: --kubeconfig, else kubectl's chain ($KUBECONFIG merged, ~/.kube/config, in-cluster). */
function clusterConfig(values: { kubeconfig: string | undefined; context: string | undefined }, io: CommandIo): KubeConfig {
  let kubeConfig: KubeConfig | undefined;
  try {
    kubeConfig = loadKubeConfig({ path: values.kubeconfig, context: values.context, env: io.env, cwd: io.cwd, fallback: 'default' });
  } catch (err) {
    if (err instanceof KubeConfigError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
  if (kubeConfig?.getCurrentCluster() == null) throw new UsageError('no cluster to audit: give --kubeconfig FILE (or set KUBECONFIG), or run in a cluster');
  return kubeConfig;
}
