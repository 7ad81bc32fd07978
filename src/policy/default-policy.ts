/**
 * The policy used when no --policy file is given (documented in docs/policy.md, which a test keeps in sync).
 * Safe to install anywhere: outside production nothing is refused, only reported; in production namespaces
 * debug images and `kubectl debug` are refused.
 */
export const DEFAULT_POLICY_YAML = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata:
  name: default
spec:
  mode: DryRun                    # report every violation as a warning; admit the pod
  production:
    namespaceSelector:
      matchLabels:
        environment: production
  failurePolicy: Ignore           # image facts unavailable in time: admit, with a warning
  rules:
    noDebugTag:
      action: Enforce             # :debug / -debug images are refused in production
    noDebugContainers:
      action: Enforce             # kubectl debug is refused in production
  mutate:
    action: DryRun                # show the securityContext hardening the mutating webhook would apply
    securityContext: true
`;
