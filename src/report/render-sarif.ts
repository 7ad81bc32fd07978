/**
 * `check --format sarif`: SARIF 2.1.0 (OASIS), which code-scanning UIs read to show each finding on the manifest
 * line of the container's image. One result per rule finding: Enforce → error, DryRun → warning, NotChecked → note;
 * an exemption is a result with a suppression carrying its reason, so it shows as dismissed rather than vanishing.
 */
import { describeContainer } from '../decision/combine-findings.js';
import { RULE_NAMES, type RuleName } from '../policy/types.js';
import type { CheckedFinding, CheckedObject, CheckReport, Outcome } from './check-report.js';
import { RULE_HELP } from './rule-help.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

type Level = 'error' | 'warning' | 'note';

const LEVEL: Readonly<Record<Outcome, Level>> = { Enforce: 'error', DryRun: 'warning', NotChecked: 'note', Exempt: 'note' };

/** The parts of a SARIF log this tool writes. */
export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: readonly SarifRun[];
}

interface SarifRun {
  readonly tool: { readonly driver: { readonly name: string; readonly rules: readonly SarifRule[] } };
  readonly results: readonly SarifResult[];
}

interface SarifRule {
  readonly id: RuleName;
  readonly shortDescription: { readonly text: string };
  readonly defaultConfiguration: { readonly level: Level };
  readonly properties: { readonly 'security-severity': string; readonly tags: readonly string[] };
}

interface SarifResult {
  readonly ruleId: RuleName;
  readonly ruleIndex: number;
  readonly level: Level;
  readonly message: { readonly text: string };
  readonly locations: readonly unknown[];
  readonly suppressions?: readonly { readonly kind: 'external'; readonly justification: string }[];
  readonly properties: Readonly<Record<string, string>>;
}

/** GitHub sorts code-scanning alerts by this CVSS-like score. */
const SECURITY_SEVERITY = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' } as const;

/** `uriOf` turns a source file name into the artifact URI (relative to the repository root, for code scanning). */
export function renderSarif(report: CheckReport, uriOf: (file: string) => string): SarifLog {
  const rules: SarifRule[] = RULE_NAMES.map((id) => ({
    id,
    shortDescription: { text: RULE_HELP[id].summary },
    defaultConfiguration: { level: 'error' },
    properties: { 'security-severity': SECURITY_SEVERITY[RULE_HELP[id].severity], tags: ['security', 'kubernetes', 'distroless'] },
  }));
  const results = report.objects.flatMap((object) => object.findings.map((finding) => result(object, finding, uriOf)));
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [{ tool: { driver: { name: 'distroless-guard', rules } }, results }] };
}

function result(object: CheckedObject, finding: CheckedFinding, uriOf: (file: string) => string): SarifResult {
  const at = finding.position ?? { line: object.source.line, column: object.source.column };
  const subject = `${object.kind} ${object.namespace}/${object.name}`;
  const fix = finding.fix ? ` Fix: ${finding.fix}` : '';
  return {
    ruleId: finding.rule,
    ruleIndex: RULE_NAMES.indexOf(finding.rule),
    level: LEVEL[finding.outcome],
    message: { text: `${subject}: [${finding.policy}/${finding.rule}] ${describeContainer(finding.container)}: ${finding.message}.${fix}` },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: uriOf(object.source.file) }, region: { startLine: at.line, startColumn: at.column } },
        logicalLocations: [{ name: finding.container.name, fullyQualifiedName: `${subject}/${finding.container.name}`, kind: 'object' }],
      },
    ],
    ...(finding.outcome === 'Exempt' ? { suppressions: [{ kind: 'external', justification: finding.reason ?? '' }] } : {}),
    properties: { policy: finding.policy, outcome: finding.outcome, image: finding.container.image },
  };
}
