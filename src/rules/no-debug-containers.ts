import { notProduction, pass, violation, type Rule } from './types.js';

/** `kubectl debug` adds an ephemeral container to a running pod: a shell inside production. */
export const noDebugContainers: Rule = {
  name: 'noDebugContainers',
  usesFacts: false,
  headline: 'kubectl debug in production',
  evaluate({ container, production }) {
    if (!production) return notProduction;
    if (container.kind !== 'ephemeralContainer') return pass;
    return violation(
      `ephemeral container "${container.name}" (kubectl debug) is not allowed in a production namespace`,
      'debug a copy outside production (kubectl debug --copy-to, in a non-production namespace)',
    );
  },
};
