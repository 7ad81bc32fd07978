import type { V1PodSpec } from '@kubernetes/client-node';
import type { ImageFacts } from '../image/facts/types.js';
import type { RuleName } from '../policy/types.js';
import type { EffectiveSecurity } from '../workload/security-context.js';
import type { ContainerTarget } from '../workload/targets.js';

/** What is known about a container's image when rules run. */
export type FactsResult =
  | { readonly kind: 'known'; readonly facts: ImageFacts }
  /** Inspection was attempted and failed (registry down, auth refused, deadline): the policy's failurePolicy decides. */
  | { readonly kind: 'unavailable'; readonly reason: string }
  /** No inspection configured (offline checks, or a policy whose rules need none). */
  | { readonly kind: 'not-inspected' };

export interface RuleContext {
  readonly container: ContainerTarget;
  readonly spec: V1PodSpec;
  readonly security: EffectiveSecurity;
  readonly production: boolean;
  readonly facts: FactsResult;
}

export type RuleResult =
  | { readonly kind: 'pass' }
  | { readonly kind: 'not-applicable'; readonly reason: string }
  | { readonly kind: 'violation'; readonly message: string; readonly fix: string }
  /** The rule needed image facts that could not be had. */
  | { readonly kind: 'facts-unavailable'; readonly reason: string }
  /**
   * The answer depends on image facts and the image was not inspected (`--offline`): neither pass nor violation,
   * so an offline check never denies what inspection would admit.
   */
  | { readonly kind: 'not-checked'; readonly reason: string };

export interface Rule {
  readonly name: RuleName;
  /** Whether the rule may need image facts (so the image is inspected when the rule is active). */
  readonly usesFacts: boolean;
  /** A violation in a few words, for the one warning that names every container violating it ("image has a shell"). */
  readonly headline: string;
  evaluate(context: RuleContext): RuleResult;
}

export const pass: RuleResult = { kind: 'pass' };
export const notApplicable = (reason: string): RuleResult => ({ kind: 'not-applicable', reason });
/** The production-only rules outside production. */
export const notProduction = notApplicable('not a production namespace');
/** What rules whose answer needs image facts say without them. */
export const notInspected: RuleResult = { kind: 'not-checked', reason: 'image not inspected' };
export const violation = (message: string, fix: string): RuleResult => ({ kind: 'violation', message, fix });

/** For rules that cannot decide without image facts. */
export function withFacts(context: RuleContext, decide: (facts: ImageFacts) => RuleResult): RuleResult {
  switch (context.facts.kind) {
    case 'known':
      return decide(context.facts.facts);
    case 'unavailable':
      return { kind: 'facts-unavailable', reason: context.facts.reason };
    case 'not-inspected':
      return notInspected;
  }
}
