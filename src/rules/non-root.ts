import { distrolessFit } from './distroless-fit.js';
import { notApplicable, notInspected, pass, violation, withFacts, type Rule } from './types.js';

const WINDOWS = notApplicable('Windows pods are not judged by nonRoot');

/**
 * The container must not run as root. The pod spec settles it when it names a uid; otherwise the image's user
 * decides (resolved through the image's /etc/passwd), and without image facts only `runAsNonRoot: true` proves it
 * (uninspected, anything else is not checked: a `:nonroot` image passes once inspected).
 */
export const nonRoot: Rule = {
  name: 'nonRoot',
  usesFacts: true,
  headline: 'may run as root',
  evaluate(context) {
    const { security } = context;
    if (security.windows) return WINDOWS;
    if (security.runAsUser === 0) {
      return security.runAsNonRoot === true
        ? violation('runAsUser: 0 with runAsNonRoot: true: kubelet refuses to start it', 'set runAsUser to a non-zero uid, e.g. 65532')
        : violation('runs as root (runAsUser: 0)', 'set runAsUser to a non-zero uid, e.g. 65532');
    }
    if (security.runAsUser !== undefined) return pass;
    // Without image facts, runAsNonRoot: true still proves it: kubelet checks the image user at start.
    if (context.facts.kind !== 'known') {
      if (security.runAsNonRoot === true) return pass;
      return context.facts.kind === 'unavailable' ? { kind: 'facts-unavailable', reason: context.facts.reason } : notInspected;
    }
    return withFacts(context, (facts) => {
      const configured = facts.user.configured || '(unset: root)';
      if (facts.nonRoot === false) {
        const fix = `set runAsUser: 65532, or build FROM ${distrolessFit(facts).image}`;
        return violation(`image runs as root (User ${configured}) and the pod sets no runAsUser`, fix);
      }
      if (facts.nonRoot === null) {
        return security.runAsNonRoot === true
          ? pass
          : violation(`image user ${configured} cannot be resolved to a uid`, 'set runAsNonRoot: true and a numeric runAsUser');
      }
      if (security.runAsNonRoot === true && !/^\d+(:\d+)?$/.test(facts.user.configured)) {
        return violation(
          `image has non-numeric user ${configured}: kubelet cannot verify runAsNonRoot and refuses to start it`,
          `set runAsUser: ${facts.user.uid}`,
        );
      }
      return pass;
    });
  },
};
