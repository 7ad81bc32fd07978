import { pass, violation, withFacts, type Rule } from './types.js';

/** No package manager executable on the image's PATH (databases alone, as distroless ships them, are fine). */
export const noPackageManager: Rule = {
  name: 'noPackageManager',
  usesFacts: true,
  evaluate(context) {
    return withFacts(context, (facts) =>
      facts.packageManagers.length === 0
        ? pass
        : violation(
            `image has a package manager: ${facts.packageManagers.join(', ')}`,
            'install packages in a build stage and copy the result onto a distroless base',
          ),
    );
  },
};
