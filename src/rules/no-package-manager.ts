import { tagOf } from './no-debug-tag.js';
import { replaceImageFix } from './distroless-fit.js';
import { pass, violation, withFacts, type Rule } from './types.js';

/**
 * No package manager executable on the image's PATH (databases alone, as distroless ships them, are fine). The fix
 * names the distroless image to copy the installed result onto (install in a build stage).
 */
export const noPackageManager: Rule = {
  name: 'noPackageManager',
  usesFacts: true,
  headline: 'image has a package manager',
  evaluate(context) {
    return withFacts(context, (facts) =>
      facts.packageManagers.length === 0
        ? pass
        : violation(
            `image has a package manager: ${facts.packageManagers.join(', ')}`,
            replaceImageFix(context.container.image, tagOf(context.container.image), facts),
          ),
    );
  },
};
