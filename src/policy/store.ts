import { compilePolicy, type CompileOptions, type CompiledPolicy } from './compile.js';
import { parsePolicies, PolicyLoadError, policyWarnings, validatePolicy } from './load.js';
import type { DistrolessPolicy } from './types.js';

/** How one policy fared in the last load: what `status` reports and what is logged. */
export interface PolicyState {
  readonly name: string;
  readonly generation: number | undefined;
  /** True when this generation is the one in force. */
  readonly ready: boolean;
  /** Why this generation is not in force (the previous good one may be). */
  readonly error?: string;
  /** What a policy in force should still change (a deprecated spelling): shown in its status, logged, printed. */
  readonly warnings?: readonly string[];
}

function readyState(policy: DistrolessPolicy, compiled: CompiledPolicy): PolicyState {
  const warnings = policyWarnings(policy);
  return { name: compiled.name, generation: compiled.generation, ready: true, ...(warnings.length > 0 ? { warnings } : {}) };
}

export interface LoadOutcome {
  /** False when anything was rejected (the last good policies stay in force). */
  readonly ok: boolean;
  readonly error?: string;
  readonly states: readonly PolicyState[];
  /** True when the set in force changed. */
  readonly changed: boolean;
}

/**
 * The compiled policies in force. Each load compiles globs and selectors once; admissions read `current()`.
 * Whatever source feeds it, a bad input never replaces a good policy: a file is all-or-nothing (a bad edit keeps
 * the last good file), and API objects are judged one by one (an invalid object keeps that policy's last good
 * generation, the others apply).
 */
export class PolicyStore {
  private compiled: readonly CompiledPolicy[] = [];
  private lastGood = new Map<string, { policy: DistrolessPolicy; compiled: CompiledPolicy }>();
  private loadedOnce = false;

  constructor(private readonly options: CompileOptions) {}

  current(): readonly CompiledPolicy[] {
    return this.compiled;
  }

  /** The documents in force (the last good generation of each), by name: what serve's background audit judges by. */
  documents(): readonly DistrolessPolicy[] {
    return [...this.lastGood.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, { policy }]) => policy);
  }

  /** True once some load succeeded (the guard is not ready before). */
  loaded(): boolean {
    return this.loadedOnce;
  }

  /** A policy file (one or more documents): all documents apply, or none. */
  loadText(text: string, source: string): LoadOutcome {
    let next: { policy: DistrolessPolicy; compiled: CompiledPolicy }[];
    try {
      next = parsePolicies(text, source).map((policy) => ({ policy, compiled: this.compile(policy, source) }));
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return { ok: false, error, changed: false, states: [...this.lastGood.values()].map(({ policy, compiled }) => readyState(policy, compiled)) };
    }
    const changed = this.replace(new Map(next.map((entry) => [entry.policy.metadata.name, entry])));
    return { ok: true, changed, states: next.map(({ policy, compiled }) => readyState(policy, compiled)) };
  }

  /** DistrolessPolicy objects as the API server lists them; each is validated on its own. */
  loadObjects(objects: readonly unknown[]): LoadOutcome {
    const next = new Map<string, { policy: DistrolessPolicy; compiled: CompiledPolicy }>();
    const states: PolicyState[] = [];
    for (const object of objects) {
      const meta = metadataOf(object);
      const where = `DistrolessPolicy ${meta.name}${meta.generation === undefined ? '' : ` (generation ${meta.generation})`}`;
      try {
        const policy = validatePolicy(withoutServerFields(object), where);
        const withGeneration: DistrolessPolicy = { ...policy, metadata: { ...policy.metadata, ...(meta.generation === undefined ? {} : { generation: meta.generation }) } };
        const compiled = this.compile(withGeneration, where);
        next.set(meta.name, { policy: withGeneration, compiled });
        states.push({ ...readyState(withGeneration, compiled), name: meta.name, generation: meta.generation });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        const previous = this.lastGood.get(meta.name);
        if (previous) next.set(meta.name, previous);
        states.push({ name: meta.name, generation: meta.generation, ready: false, error });
      }
    }
    const failed = states.filter((s) => !s.ready);
    const changed = this.replace(next);
    return failed.length === 0 ? { ok: true, changed, states } : { ok: false, changed, states, error: failed.map((s) => s.error).join('; ') };
  }

  private compile(policy: DistrolessPolicy, where: string): CompiledPolicy {
    try {
      return compilePolicy(policy, this.options);
    } catch (err) {
      throw new PolicyLoadError(`${where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  private replace(next: Map<string, { policy: DistrolessPolicy; compiled: CompiledPolicy }>): boolean {
    const fingerprint = (m: Map<string, { policy: DistrolessPolicy }>): string =>
      JSON.stringify([...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, { policy }]) => policy));
    const changed = !this.loadedOnce || fingerprint(next) !== fingerprint(this.lastGood);
    this.loadedOnce = true;
    if (!changed) return false;
    this.lastGood = next;
    // Sorted by name: the order of warnings and of the deny message does not depend on the order of events.
    this.compiled = [...next.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, { compiled }]) => compiled);
    return true;
  }
}

function metadataOf(object: unknown): { name: string; generation: number | undefined } {
  const metadata = typeof object === 'object' && object !== null && 'metadata' in object ? (object.metadata as Record<string, unknown> | undefined) : undefined;
  const name = typeof metadata?.['name'] === 'string' ? metadata['name'] : '(unnamed)';
  const generation = typeof metadata?.['generation'] === 'number' ? metadata['generation'] : undefined;
  return { name, generation };
}

/** The API server adds metadata fields and status that are not part of the policy document. */
function withoutServerFields(object: unknown): unknown {
  if (typeof object !== 'object' || object === null) return object;
  const { status: _status, metadata, ...rest } = object as Record<string, unknown>;
  const name = metadataOf(object).name;
  return { ...rest, metadata: { name } };
}
