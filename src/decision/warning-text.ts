/**
 * The wording of admission warnings within their budget. Kubernetes asks webhooks to keep each warning "under 120
 * characters if possible" (admission.k8s.io/v1 AdmissionResponse.warnings); the API server may truncate one past
 * 256 and drops the rest past 4 KiB in total; kubectl prints each on its own `Warning:` line, unwrapped. So each
 * warning is tried in shorter and shorter wordings, and cut only as the last resort.
 */
import type { ContainerIdentity } from './finding.js';

export const WARNING_PREFIX = '[distroless-guard]';

/** Kubernetes asks for warnings "under 120 characters if possible"; over 256 the API server may truncate (encode.ts cuts there). */
export const WARNING_BUDGET = 120;

/** The text cut to the budget, an ellipsis marking the cut: the last resort, once every shorter wording was tried. */
export function withinBudget(text: string): string {
  return text.length <= WARNING_BUDGET ? text : `${text.slice(0, WARNING_BUDGET - 1)}…`;
}

/** The first wording that fits the budget, else the last (the shortest) cut to it. */
export function firstFitting(wordings: readonly string[]): string {
  return wordings.find((w) => w.length <= WARNING_BUDGET) ?? withinBudget(wordings.at(-1) ?? '');
}

/**
 * A list, then shorter and shorter: "a, b, c", "a, b and 1 more", "a and 2 more" — only the ones a warning could hold
 * (a pod may name thousands of containers), always at least the shortest.
 */
export function abbreviations(items: readonly string[]): string[] {
  if (items.length <= 1) return [...items];
  let fitting = 0;
  for (let length = 0; fitting < items.length && length <= WARNING_BUDGET; fitting++) length += (items[fitting] ?? '').length + 2;
  const lists = fitting === items.length && items.join(', ').length <= WARNING_BUDGET ? [items.join(', ')] : [];
  for (let shown = Math.min(fitting, items.length - 1); shown >= 1; shown--) lists.push(`${items.slice(0, shown).join(', ')} and ${items.length - shown} more`);
  return lists;
}

/**
 * The containers a warning is about, most detailed first: "container app", "containers app, sidecar", then
 * "containers app, sidecar and 2 more", down to "containers app and 3 more" and "4 containers" ("init container …"
 * when `noun` says so). One container is always named: the warning is about it.
 */
export function containerLists(names: readonly string[], noun = 'container'): string[] {
  if (names.length === 1) return [`${noun} ${names[0] ?? ''}`];
  return [...abbreviations(names).map((list) => `${noun}s ${list}`), `${names.length} ${noun}s`];
}

/** A policy name as warnings show it: names run to 253 characters, a warning's budget is 120. */
export function shortPolicyName(name: string): string {
  return name.length <= 40 ? name : `${name.slice(0, 39)}…`;
}

/** `container "app" (shop/web:2.1)`, `init container "setup" (…)`, `ephemeral container "dbg" (…)`. */
export function describeContainer(container: ContainerIdentity, image = container.image): string {
  return `${kindName(container)} "${container.name}" (${image || 'no image'})`;
}

function kindName({ kind }: ContainerIdentity): string {
  return kind === 'container' ? 'container' : kind === 'initContainer' ? 'init container' : 'ephemeral container';
}

/**
 * "[distroless-guard] <what> container "app" (image)[ <after>]: message" — naming the container and its image, e.g.
 * "[distroless-guard] DryRun: mutate would pin container "app" (nginx:1.27): image nginx:1.27@sha256:…". Over
 * budget, the image is shortened to its last path segment and tag, then left out; the message is cut only as the last
 * resort.
 */
export function warning(what: string, container: ContainerIdentity, message: string, after = ''): string {
  const tail = `${after ? ` ${after}` : ''}: ${message}`;
  // The image's last path segment, without a digest when a tag names it ("debian-full:12@sha256:…" → "debian-full:12").
  const segment = container.image.slice(container.image.lastIndexOf('/') + 1);
  const at = segment.indexOf('@');
  const short = at > 0 && segment.slice(0, at).includes(':') ? segment.slice(0, at) : segment;
  return firstFitting([
    `${WARNING_PREFIX} ${what} ${describeContainer(container)}${tail}`,
    `${WARNING_PREFIX} ${what} ${describeContainer(container, short)}${tail}`,
    `${WARNING_PREFIX} ${what} ${kindName(container)} "${container.name}"${tail}`,
  ]);
}
