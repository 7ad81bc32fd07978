import { notApplicable, pass, violation, withFacts, type Rule } from './types.js';

const WINDOWS = notApplicable('Windows pods are not judged by nonRoot');

/**
 * The container must not run as root. The pod spec settles it when it names a uid; otherwise the image's user
 * decides (resolved through the image's /etc/passwd), and without image facts only `runAsNonRoot: true` proves it.
 */
export const nonRoot: Rule = {
  name: 'nonRoot',
  usesFacts: true,
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
      if (context.facts.kind === 'unavailable' && security.runAsNonRoot !== true) return { kind: 'facts-unavailable', reason: context.facts.reason };
      return security.runAsNonRoot === true
        ? pass
        : violation('needs runAsNonRoot: true or a non-zero runAsUser', 'set runAsNonRoot: true and runAsUser: 65532');
    }
    return withFacts(context, (facts) => {
      const configured = facts.user.configured || '(unset: root)';
      if (facts.nonRoot === false) {
        return violation(`image runs as root (User ${configured}) and the pod sets no runAsUser`, 'set runAsUser: 65532, or build FROM a :nonroot base');
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
