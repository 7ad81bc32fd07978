/**
 * Policies the tests share. `strict`: every rule Enforce in every namespace, failing closed, so that an image that
 * cannot be inspected is refused (and says why); `noPrivilegeEscalation` off where a test's pods set no
 * securityContext and only the image rules are under test.
 */
export function strictPolicy(options: { readonly privilegeEscalation?: boolean } = {}): string {
  const rules = options.privilegeEscalation === false ? `  rules:\n    noPrivilegeEscalation: {action: Disabled}\n` : '';
  return `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: strict}
spec:
  mode: Enforce
  failurePolicy: Fail
${rules}`;
}
