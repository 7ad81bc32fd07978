import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { PolicyState } from '../policy/store.js';
import { POLICY_GROUP, POLICY_PLURAL, POLICY_VERSION } from '../policy/crd.js';

export interface PolicyCondition {
  readonly type: 'Ready';
  readonly status: 'True' | 'False';
  readonly reason: 'Loaded' | 'Invalid';
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime: string;
}

export interface PolicyStatus {
  readonly observedGeneration?: number;
  readonly conditions: readonly PolicyCondition[];
  /** What the policy in force should still change (a deprecated spelling); absent when nothing. */
  readonly warnings?: readonly string[];
  /** The background audit's fields (src/kube/background-audit.ts), kept as they are by this writer. */
  readonly [field: string]: unknown;
}

/**
 * The status a policy should show after a load, or undefined when what it shows is already right (so writing
 * status, which itself produces a watch event, cannot loop). lastTransitionTime moves only when the condition's
 * status flips, as the Kubernetes API conventions ask.
 */
export function desiredStatus(state: PolicyState, shown: PolicyStatus | undefined, now: Date): PolicyStatus | undefined {
  const ready = state.ready;
  const message = ready ? 'policy compiled and in force' : `rejected, the last good generation stays in force: ${state.error ?? 'invalid'}`;
  const previous = shown?.conditions?.find((c) => c.type === 'Ready');
  const status = ready ? 'True' : 'False';
  const warnings = state.warnings ?? [];
  const sameWarnings = JSON.stringify(shown?.warnings ?? []) === JSON.stringify(warnings);
  if (previous?.status === status && previous.message === message && shown?.observedGeneration === state.generation && sameWarnings) return undefined;
  const condition: PolicyCondition = {
    type: 'Ready',
    status,
    reason: ready ? 'Loaded' : 'Invalid',
    message,
    ...(state.generation === undefined ? {} : { observedGeneration: state.generation }),
    lastTransitionTime: previous?.status === status ? previous.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  // Fields other writers own (the background audit's) are carried over as shown.
  const { observedGeneration: _generation, conditions: _conditions, warnings: _warnings, ...others } = shown ?? { conditions: [] };
  return {
    ...others,
    ...(state.generation === undefined ? {} : { observedGeneration: state.generation }),
    conditions: [condition],
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

export interface StatusWriter {
  /** Writes the status of every policy whose shown status differs from its state. */
  write(states: readonly PolicyState[], objects: readonly unknown[]): Promise<void>;
}

/** Writes DistrolessPolicy status through the status subresource (the leader replica only calls this). */
export function kubeStatusWriter(kubeConfig: KubeConfig, onError: (name: string, error: unknown) => void): StatusWriter {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  return {
    async write(states, objects) {
      const byName = new Map(objects.map((o) => [nameOf(o), o as Record<string, unknown>]));
      await Promise.all(
        states.map(async (state) => {
          const object = byName.get(state.name);
          if (!object) return;
          const status = desiredStatus(state, object['status'] as PolicyStatus | undefined, new Date());
          if (!status) return;
          try {
            // A replace carrying the resourceVersion seen: a 409 means a newer object, whose own event comes next.
            await api.replaceClusterCustomObjectStatus({ group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL, name: state.name, body: { ...object, status } });
          } catch (err) {
            onError(state.name, err);
          }
        }),
      );
    },
  };
}

function nameOf(object: unknown): string {
  const metadata = (object as { metadata?: { name?: unknown } } | null)?.metadata;
  return typeof metadata?.name === 'string' ? metadata.name : '';
}
