/**
 * `distroless-guard audit`: what would switching the installed policies to Enforce break? Lists the running pods
 * (kubeconfig), judges each with the validating webhook's own code against the cluster's DistrolessPolicies with
 * every DryRun raised to Enforce, and reports the workloads that would be denied, grouped by namespace and owner.
 * Exit 0 once the audit is done (whatever it found), 1 when the cluster cannot be read, 2 for a usage error.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { readClusterState, type ClusterState } from '../kube/cluster-state.js';
import { replacePolicyReports } from '../kube/policy-report-writer.js';
import { kubePullSecrets } from '../kube/pull-secrets.js';
import { asEnforced } from '../policy/as-enforced.js';
import { parsePolicies } from '../policy/load.js';
import { PolicyStore } from '../policy/store.js';
import { RULE_NAMES } from '../policy/types.js';
import { syntheticCreate } from '../report/admission-request.js';
import { auditReport, type AuditedPod, type AuditReport } from '../report/audit-report.js';
import { reportFinding } from '../report/check-report.js';
import { evaluateValidation } from '../report/evaluate.js';
import { ownerIndex, workloadOf } from '../report/owners.js';
import { policyReports } from '../report/render-policy-reports.js';
import { renderAuditHtml } from '../report/render-audit-html.js';
import { renderAuditTable } from '../report/render-audit-table.js';
import { isRunning, ownedPod, podAdmissionObject } from '../report/running-pods.js';
import type { ReviewDependencies } from '../review/review.js';
import { staticNamespaces } from '../review/namespace-directory.js';
import { writeAtomically } from '../shared/write-atomically.js';
import { EXIT, InputError, UsageError, type CommandIo } from './io.js';
import { readPolicyText } from './policy-file.js';
import { BATCH_INSPECTION_FLAGS, batchInspection, REGISTRY_FLAGS_USAGE } from './registry-flags.js';
import { reportFacts } from './report-facts.js';

export const AUDIT_USAGE = `Usage: distroless-guard audit [--kubeconfig FILE] [--context NAME] [--format table|json|html] [-o FILE]
                             [--write-reports] [--policy FILE] [--guard-namespace distroless-guard] [--offline]
                             [--timeout 10m] [--concurrency 4] [--insecure-registry HOST]... [--mirror FROM=TO]...

Lists the running pods of the cluster and judges them with the validating webhook's own rules against the
installed DistrolessPolicies as if every DryRun were Enforce (Off stays Off): the workloads that an Enforce switch
would deny, grouped by namespace and owner (a Deployment, not each of its pods; a CronJob, not each Job), with a
summary line. Each image is judged by the digest the pod runs, and each distinct image inspected once.
  --kubeconfig FILE         kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --context NAME            kubeconfig context (default: the current one)
  --format FORMAT           table (default), json (schemas/audit-report.schema.json) or html (a self-contained page)
  -o, --output FILE         write the report to FILE instead of standard output
  --write-reports           write the results as PolicyReport objects (wgpolicyk8s.io/v1alpha2), one per namespace,
                            replacing those an earlier audit wrote (label app.kubernetes.io/managed-by=distroless-guard)
  --policy FILE             judge by the DistrolessPolicy documents in FILE instead of the cluster's
  --guard-namespace NS      the guard's own namespace, never judged (default distroless-guard)
  --offline                 do not inspect images (rules that need image facts are not evaluated)
  --timeout DURATION        give up on what is not known by then (default 10m)
  --concurrency N           images inspected at once (default 4)
${REGISTRY_FLAGS_USAGE}`;

const FORMATS = ['table', 'json', 'html'] as const;
type Format = (typeof FORMATS)[number];

export async function runAudit(args: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      format: { type: 'string', default: 'table' },
      output: { type: 'string', short: 'o' },
      'write-reports': { type: 'boolean', default: false },
      policy: { type: 'string' },
      'guard-namespace': { type: 'string', default: 'distroless-guard' },
      help: { type: 'boolean', short: 'h', default: false },
      ...BATCH_INSPECTION_FLAGS,
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.stdout.write(`${AUDIT_USAGE}\n`);
    return EXIT.ok;
  }
  const format = FORMATS.find((f) => f === values.format);
  if (format === undefined) throw new UsageError(`--format ${values.format}: expected one of ${FORMATS.join(', ')}`);
  const { concurrency, timeoutMs } = batchInspection(values);
  const policyFile = values.policy === undefined ? undefined : await readPolicyFile(resolve(io.cwd, values.policy), values.policy);
  const kubeConfig = loadKubeConfig(values.kubeconfig && resolve(io.cwd, values.kubeconfig), values.context, io.env);

  const signal = AbortSignal.timeout(timeoutMs);
  const cluster = await readClusterState(kubeConfig, { policies: policyFile === undefined }, signal);
  for (const note of cluster.notes) io.stderr.write(`distroless-guard audit: ${note}\n`);

  const policies = new PolicyStore({ guardNamespace: values['guard-namespace'] });
  const documents = policyFile === undefined ? cluster.policies : policyFile.documents;
  const loaded = policies.loadObjects(documents.map(asEnforced));
  for (const state of loaded.states.filter((s) => !s.ready)) io.stderr.write(`distroless-guard audit: ${state.error ?? state.name}: not part of the audit\n`);
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
    pods = await auditPods(cluster, deps, signal);
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
      activeRules: (name) => RULE_NAMES.filter((rule) => (compiled.get(name)?.actionOf(rule) ?? 'Off') !== 'Off'),
      now: new Date(report.generatedAt),
      offline: values.offline,
    });
    const writes = await replacePolicyReports(kubeConfig, reports, AbortSignal.timeout(60_000));
    io.stderr.write(`distroless-guard audit: PolicyReports: ${writes.created.length} created, ${writes.replaced.length} replaced, ${writes.deleted.length} deleted\n`);
  }

  const text = render(report, format);
  if (values.output === undefined) io.stdout.write(text);
  else await writeAtomically(resolve(io.cwd, values.output), text, 0o644);
  return EXIT.ok;
}

/** Every running pod through validate(), concurrently (facts are shared and bounded underneath). */
async function auditPods(cluster: ClusterState, deps: ReviewDependencies, signal: AbortSignal): Promise<AuditedPod[]> {
  const owners = ownerIndex(
    cluster.owners.map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.metadata.namespace ?? '',
      name: o.metadata.name ?? '',
      ...(o.metadata.uid ? { uid: o.metadata.uid } : {}),
      ...(o.metadata.ownerReferences ? { ownerReferences: o.metadata.ownerReferences } : {}),
    })),
  );
  return Promise.all(
    cluster.pods.filter(isRunning).map(async (pod): Promise<AuditedPod> => {
      const object = podAdmissionObject(pod);
      const owned = ownedPod(pod);
      const request = syntheticCreate(object, { defaultNamespace: owned.namespace, uid: randomUUID(), username: 'distroless-guard-audit' });
      const { decision, validation } = await evaluateValidation(request, deps, signal);
      return {
        namespace: owned.namespace,
        name: owned.name,
        workload: workloadOf(owned, owners),
        decision,
        findings: validation.findings.map(reportFinding),
        warnings: validation.verdict.warnings,
        policies: validation.policies ?? [],
      };
    }),
  );
}

function render(report: AuditReport, format: Format): string {
  switch (format) {
    case 'table':
      return renderAuditTable(report);
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
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

/** --kubeconfig FILE, else the default chain ($KUBECONFIG, ~/.kube/config, in-cluster); --context must exist. */
function loadKubeConfig(path: string | undefined, context: string | undefined, env: NodeJS.ProcessEnv): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    if (path) kubeConfig.loadFromFile(path);
    else if (env['KUBECONFIG']) kubeConfig.loadFromFile(resolve(env['KUBECONFIG'].split(':')[0] ?? ''));
    else kubeConfig.loadFromDefault();
  } catch (err) {
    throw new UsageError(`cannot load the kubeconfig${path ? ` ${path}` : ''}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (context !== undefined) {
    if (!kubeConfig.getContexts().some((c) => c.name === context)) {
      throw new UsageError(`--context ${context}: no such context in the kubeconfig (have: ${kubeConfig.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    kubeConfig.setCurrentContext(context);
  }
  if (!kubeConfig.getCurrentCluster()) throw new UsageError('no cluster to audit: give --kubeconfig FILE (or set KUBECONFIG), or run in a cluster');
  return kubeConfig;
}
