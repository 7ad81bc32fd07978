import type { RuleName } from '../policy/types.js';
import type { ContainerKind } from '../workload/targets.js';

export interface ContainerIdentity {
  readonly kind: ContainerKind;
  readonly name: string;
  readonly image: string;
}

/** One rule's verdict on one container under one policy, after the policy's action and exceptions are applied. */
export interface Finding {
  readonly policy: string;
  readonly rule: RuleName;
  readonly container: ContainerIdentity;
  readonly outcome:
    | { readonly kind: 'violation'; readonly action: 'Enforce' | 'DryRun'; readonly message: string; readonly fix: string }
    /** A rule needed image facts that could not be had; failurePolicy Ignore turned it into a warning. */
    | { readonly kind: 'ignored-failure'; readonly message: string }
    /** A rule whose answer needs image facts, on an image not inspected (`--offline`): audited, never denied or warned. */
    | { readonly kind: 'not-checked'; readonly message: string }
    | { readonly kind: 'exempt'; readonly reason: string; readonly message: string };
}
