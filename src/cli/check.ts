/**
 * `distroless-guard check -f PATH...`: would the guard admit these manifests? Every Pod and pod-template workload
 * goes through the webhooks' own mutate and validate as a CREATE would (images inspected in their registries), and
 * the answer is printed per object. Exit 0: all admitted; 1: something would be denied; 2: usage or input error.
 */
import { randomUUID } from 'node:crypto';
import { relative, resolve, sep } from 'node:path';
import type { AdmissionRequest } from '../admission/request.js';
import { DEFAULT_GUARD_NAMESPACE } from '../kube/own-namespace.js';
import { DEFAULT_POLICY_YAML } from '../policy/default-policy.js';
import { PolicyStore } from '../policy/store.js';
import { checkedObject, checkReport, type CheckReport } from '../report/check-report.js';
import { evaluateAdmission } from '../report/evaluate.js';
import { ManifestError, parseManifests, type ManifestObject } from '../report/manifests.js';
import { renderCheckTable } from '../report/render-check-table.js';
import { renderSarif } from '../report/render-sarif.js';
import { syntheticCreate } from '../report/admission-request.js';
import { parseNamespaceLabels, staticNamespaces } from '../review/namespace-directory.js';
import { portableYaml } from '../shared/portable-yaml.js';
import { podTargetOf } from '../workload/targets.js';
import { WorkloadShapeError } from '../workload/shape.js';
import { EXIT, InputError, UsageError, type CommandIo } from './io.js';
import { readManifestTexts, STDIN_NAME } from './manifest-input.js';
import { readPolicyText } from './policy-file.js';
import { CHECK_COMMAND, CHECK_FORMATS } from './check-command.js';
import { parseFlags } from './flags.js';
import { outputFormat } from './output-flag.js';
import { batchInspection } from './registry-flags.js';
import { reportFacts } from './report-facts.js';

type Format = (typeof CHECK_FORMATS)[number];


export async function runCheck(args: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(CHECK_COMMAND, args);
  if (values.filename.length === 0) throw new UsageError('no manifests: give -f PATH (a file, a directory, or - for standard input)');
  const format = outputFormat(values, CHECK_FORMATS);
  const { concurrency, timeoutMs } = batchInspection(values);
  const namespaceLabels = usage(() => parseNamespaceLabels(values['namespace-labels']));

  // The guard's own namespace is never judged; offline, with no pod to ask, `check` assumes the standard install's.
  const policies = new PolicyStore({ guardNamespace: DEFAULT_GUARD_NAMESPACE });
  const policyText = values.policy === undefined ? DEFAULT_POLICY_YAML : await readPolicyText(resolve(io.cwd, values.policy), values.policy);
  const loaded = policies.loadText(policyText, values.policy ?? 'embedded default policy');
  if (!loaded.ok) throw new InputError(loaded.error ?? 'invalid policy');
  for (const state of loaded.states) for (const warning of state.warnings ?? []) io.stderr.write(`distroless-guard check: warning: policy ${state.name}: ${warning}\n`);

  const texts = await readManifestTexts(values.filename, { cwd: io.cwd, recursive: values.recursive, ...(io.stdin ? { stdin: io.stdin } : {}) });
  const { inputs, errors } = prepare(texts, values.namespace);
  if (errors.length > 0) {
    for (const error of errors) io.stderr.write(`distroless-guard check: ${error.message}\n`);
    return EXIT.usage;
  }

  const signal = AbortSignal.timeout(timeoutMs);
  const { facts, progress } = await reportFacts({
    offline: values.offline,
    registry: values,
    concurrency,
    env: io.env,
    stderr: io.stderr,
    signal,
  });
  const deps = { policies: () => policies.current(), namespaces: staticNamespaces(namespaceLabels), facts: facts.source };
  let checked;
  try {
    checked = await Promise.all(inputs.map(async ({ manifest, request }) => checkedObject(manifest, request, await evaluateAdmission(request, deps, signal))));
  } finally {
    progress.end();
  }
  const tally = facts.tally();
  // By digest: a tag and the digest the mutating webhook pins it to are one image.
  const report = checkReport(checked, tally.digests + tally.unavailable);
  io.stdout.write(render(report, format, io.cwd));
  return report.summary.denied > 0 ? EXIT.failure : EXIT.ok;
}

interface CheckInput {
  readonly manifest: ManifestObject;
  readonly request: AdmissionRequest;
}

/** Parses every text and builds each object's request; every input error, with its file and line, before any work. */
function prepare(texts: readonly { file: string; text: string }[], defaultNamespace: string): { inputs: CheckInput[]; errors: ManifestError[] } {
  const inputs: CheckInput[] = [];
  const errors: ManifestError[] = [];
  for (const { file, text } of texts) {
    const parsed = parseManifests(text, file);
    errors.push(...parsed.errors);
    for (const manifest of parsed.objects) {
      const request = syntheticCreate(manifest.object, { defaultNamespace, uid: randomUUID(), username: 'distroless-guard-check' });
      try {
        podTargetOf(request); // a malformed pod spec is the input's fault: report it here, with its place
        inputs.push({ manifest, request });
      } catch (err) {
        if (!(err instanceof WorkloadShapeError)) throw err;
        errors.push(new ManifestError(manifest.location, `${request.kind.kind} ${request.name}: ${err.message.replace(/^request\.object\./, '')}`, { cause: err }));
      }
    }
  }
  return { inputs, errors };
}

function render(report: CheckReport, format: Format, cwd: string): string {
  switch (format) {
    case 'table':
      return renderCheckTable(report);
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'yaml':
      return portableYaml(report);
    case 'sarif':
      return `${JSON.stringify(renderSarif(report, (file) => artifactUri(file, cwd)), null, 2)}\n`;
  }
}

/** A file as a SARIF artifact URI: relative to the working directory (the repository root in CI), `/`-separated. */
export function artifactUri(file: string, cwd: string): string {
  if (file === STDIN_NAME) return 'stdin';
  const path = relative(cwd, resolve(cwd, file)).split(sep).join('/');
  return encodeURI(path);
}

function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}
