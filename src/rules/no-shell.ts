import { tagOf } from './no-debug-tag.js';
import { replaceImageFix } from './distroless-fit.js';
import { pass, violation, withFacts, type Rule } from './types.js';

/** The final filesystem of the image holds no shell (sh, bash, busybox, …): nothing to exec into, no `sh -c` gadget. */
export const noShell: Rule = {
  name: 'noShell',
  usesFacts: true,
  headline: 'image has a shell',
  evaluate(context) {
    return withFacts(context, (facts) =>
      facts.shells.length === 0
        ? pass
        : violation(`image has a shell: ${facts.shells.join(', ')}`, replaceImageFix(context.container.image, tagOf(context.container.image), facts)),
    );
  },
};
