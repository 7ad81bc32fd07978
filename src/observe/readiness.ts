/**
 * /readyz as a set of named checks. Anything that must be in place before this replica takes admissions (TLS
 * loaded, policies loaded, informers synced, caBundle in place, not shutting down) registers a check; the replica
 * is ready when every check passes.
 */
export interface CheckState {
  readonly name: string;
  readonly ok: boolean;
  /** Why not ready (absent when ok). */
  readonly reason?: string;
}

export interface ReadinessCheck {
  readonly name: string;
  ready(): void;
  notReady(reason: string): void;
}

export interface Readiness {
  /** A check set from outside; starts not ready with `reason`. */
  register(name: string, reason: string): ReadinessCheck;
  /** A check computed on every /readyz: returns undefined when ready, else the reason. */
  probe(name: string, probe: () => string | undefined): void;
  states(): readonly CheckState[];
  isReady(): boolean;
}

export function createReadiness(): Readiness {
  const probes = new Map<string, () => string | undefined>();

  function add(name: string, probe: () => string | undefined): void {
    if (probes.has(name)) throw new Error(`readiness check "${name}" is registered twice`);
    probes.set(name, probe);
  }

  const states = (): CheckState[] =>
    [...probes].map(([name, probe]) => {
      const reason = probe();
      return reason === undefined ? { name, ok: true } : { name, ok: false, reason };
    });

  return {
    register(name, reason) {
      let current: string | undefined = reason;
      add(name, () => current);
      return {
        name,
        ready: () => {
          current = undefined;
        },
        notReady: (why) => {
          current = why;
        },
      };
    },
    probe: add,
    states,
    isReady: () => states().every((s) => s.ok),
  };
}

/** The /readyz body, one line per check as kube-apiserver's `/readyz?verbose` does. */
export function describeReadiness(states: readonly CheckState[]): string {
  const lines = states.map((s) => (s.ok ? `[+]${s.name} ok` : `[-]${s.name} failed: ${s.reason}`));
  const ready = states.every((s) => s.ok);
  return `${lines.join('\n')}${lines.length > 0 ? '\n' : ''}${ready ? 'readyz check passed' : 'readyz check failed'}\n`;
}
