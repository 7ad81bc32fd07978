import { pass, violation, withFacts, type Rule } from './types.js';

/** The final filesystem of the image holds no shell (sh, bash, busybox, …): nothing to exec into, no `sh -c` gadget. */
export const noShell: Rule = {
  name: 'noShell',
  usesFacts: true,
  evaluate(context) {
    return withFacts(context, (facts) =>
      facts.shells.length === 0
        ? pass
        : violation(`image has a shell: ${facts.shells.join(', ')}`, 'build FROM a distroless base, e.g. gcr.io/distroless/static-debian12:nonroot'),
    );
  },
};
