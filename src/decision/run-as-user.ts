import type { ImageFacts } from '../image/facts/types.js';
import type { EffectiveSecurity } from '../workload/security-context.js';
import { kept, type Note } from './change.js';

export interface RunAsUserPlan {
  readonly fields: Readonly<Record<string, unknown>>;
  readonly notes: readonly Note[];
}

export interface RunAsUserOptions {
  readonly runAsUserFromImage: boolean;
  readonly rootFallbackUid: number | undefined;
  /** An injected init container its policy lets run as root: no fallback uid, nothing to report. */
  readonly allowRoot?: boolean;
}

/**
 * runAsUser (and runAsGroup) from the image's own user, for a container whose pod sets no runAsUser (the caller
 * checks that, and that the pod is not a Windows one). kubelet cannot check runAsNonRoot against a non-numeric
 * image user and refuses to start the container ("container has runAsNonRoot and image has non-numeric user …,
 * cannot verify user is non-root", kubernetes/kubernetes#56503); the numeric uid resolved through the image's
 * /etc/passwd lets it check, and runs the very same user.
 *
 * runAsGroup follows only when the pod sets none and the image's gid is not 0: without it the runtime takes the
 * group from the image's /etc/passwd (or 0) anyway, so a 0 would only add noise.
 */
export function planRunAsUser(security: EffectiveSecurity, facts: ImageFacts, options: RunAsUserOptions): RunAsUserPlan {
  const { user } = facts;
  if (user.uid === null) {
    if (!options.runAsUserFromImage) return NOTHING;
    return { fields: {}, notes: [{ what: 'unresolvable user in', text: `image user ${user.configured} has no uid in its /etc/passwd; runAsUser left unset` }] };
  }
  if (user.uid !== 0) {
    if (!options.runAsUserFromImage) return NOTHING;
    const group = security.runAsGroup === undefined && user.gid !== null && user.gid !== 0 ? { runAsGroup: user.gid } : {};
    return { fields: { runAsUser: user.uid, ...group }, notes: [] };
  }
  if (options.allowRoot === true) return NOTHING;
  // Worded to fit a warning's 120 characters with the container named (decision/warning-text.ts).
  const root = user.configured === '' ? 'no User set' : `User ${user.configured}`;
  if (security.runAsNonRoot === false) return { fields: {}, notes: [kept(`root image (${root}) and runAsNonRoot: false set explicitly: no fallback uid`)] };
  if (options.rootFallbackUid === undefined) {
    return { fields: {}, notes: [{ what: 'root image in', text: `${root}, no rootFallbackUid: runAsUser left unset` }] };
  }
  return {
    fields: { runAsUser: options.rootFallbackUid },
    notes: [{ what: 'root image in', text: `${root}: runAsUser ${options.rootFallbackUid} from rootFallbackUid` }],
  };
}

const NOTHING: RunAsUserPlan = { fields: {}, notes: [] };
