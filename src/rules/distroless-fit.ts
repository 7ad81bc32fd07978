/**
 * The concrete fix a violation names: which distroless image can replace the image, from what inspection found in
 * it. A pure function of the facts, table-tested in distroless-fit.test.ts and explained in docs/policy.md
 * ("Which distroless image a fix names").
 *
 * - A debug tag (`:debug`, `:debug-nonroot`, `1.2-debug`) → the same image with the tag without "debug".
 * - Otherwise the runtime decides: a JVM → `javaNN`, node → `nodejsNN`, python 3 → `python3`, else the C++ runtime
 *   (libstdc++) → `cc`, the C library (glibc) → `base`, nothing → `static`. A major found picks the same major, else
 *   the nearest newer one published (an older program runs on a newer runtime far more often than the reverse),
 *   else the newest; no major found picks the current LTS (java21, nodejs24).
 * - On the image's own Debian release when distroless publishes that image there, else on the oldest newer release
 *   that does (a program built against an older glibc runs on a newer one); the newest release for an image that is
 *   not Debian-based or says nothing.
 * - Always `:nonroot` (uid 65532), which nonRoot asks for anyway.
 */
import type { ImageFacts, Runtime } from '../image/facts/types.js';

export const DISTROLESS_REGISTRY = 'gcr.io/distroless';

/**
 * The images gcr.io/distroless publishes and keeps updated, per Debian release, as its README lists them ("What
 * images are available?", 2026-08). Debian 12 lost its language images in 2026 (java and nodejs in February, python3
 * in May): a fix never names an image that no longer gets security updates. Update this table when the README does.
 */
export const PUBLISHED: readonly { readonly debian: number; readonly images: readonly string[] }[] = [
  { debian: 12, images: ['static', 'base', 'base-nossl', 'cc'] },
  {
    debian: 13,
    images: ['static', 'base', 'base-nossl', 'cc', 'java-base', 'java17', 'java21', 'java25', 'nodejs22', 'nodejs24', 'nodejs26', 'python3'],
  },
];

/** The major picked when the image does not say which (the current LTS of each). */
const DEFAULT_MAJOR: Readonly<Record<'java' | 'nodejs', number>> = { java: 21, nodejs: 24 };

export interface DistrolessFit {
  /** "gcr.io/distroless/python3-debian13:nonroot" */
  readonly image: string;
  /** What it was chosen for, in a few words: "python 3.11 found on Debian 12", "no runtime found". */
  readonly basis: string;
}

/** The distroless image that fits the facts (see the module comment for the rules). */
export function distrolessFit(facts: Pick<ImageFacts, 'runtimes' | 'distribution'>): DistrolessFit {
  const own = debianRelease(facts.distribution);
  const releases = PUBLISHED.filter((p) => own !== null && p.debian >= own);
  const candidates = releases.length > 0 ? releases : PUBLISHED.slice(-1);
  const runtime = (name: Runtime['name']): Runtime | undefined => facts.runtimes.find((r) => r.name === name);
  const java = runtime('java');
  const node = runtime('node');
  const python = runtime('python');
  const wanted: { readonly family: string; readonly runtime: Runtime | undefined; readonly major?: number | null }[] = [
    { family: 'java', runtime: java, major: majorOf(java) },
    { family: 'nodejs', runtime: node, major: majorOf(node) },
    // distroless has no Python 2 image: such an image falls through to what its interpreter links against.
    { family: 'python3', runtime: python?.version?.startsWith('2') === true ? undefined : python },
    { family: 'cc', runtime: runtime('libstdc++') },
    { family: 'base', runtime: runtime('glibc') },
  ];
  const on = own === null ? '' : ` on Debian ${own}`;
  for (const { family, runtime: found, major } of wanted) {
    if (found === undefined) continue;
    const picked = pick(candidates, family, major);
    if (picked !== undefined) return { image: picked, basis: `${describe(found)} found${on}` };
  }
  return { image: pick(candidates, 'static') ?? `${DISTROLESS_REGISTRY}/static-debian13:nonroot`, basis: `no runtime found${on}` };
}

/** The first release (in order) publishing the family; for a versioned family, the major chosen as documented above. */
function pick(releases: typeof PUBLISHED, family: string, major?: number | null): string | undefined {
  for (const { debian, images } of releases) {
    const name = major === undefined ? images.find((image) => image === family) : versioned(images, family, major);
    if (name !== undefined) return `${DISTROLESS_REGISTRY}/${name}-debian${debian}:nonroot`;
  }
  return undefined;
}

function versioned(images: readonly string[], family: string, major: number | null): string | undefined {
  const majors = images
    .filter((image) => image.startsWith(family) && /^\d+$/.test(image.slice(family.length)))
    .map((image) => Number(image.slice(family.length)))
    .sort((a, b) => a - b);
  if (majors.length === 0) return undefined;
  const wanted = major ?? DEFAULT_MAJOR[family as keyof typeof DEFAULT_MAJOR];
  const chosen = majors.find((m) => m >= wanted) ?? majors.at(-1);
  return `${family}${chosen}`;
}

/** A Debian release number from os-release ("12"), or null for another distribution or none. */
function debianRelease(distribution: ImageFacts['distribution']): number | null {
  if (distribution?.id !== 'debian' || !/^\d{1,3}$/.test(distribution.versionId)) return null;
  return Number(distribution.versionId);
}

function majorOf(runtime: Runtime | undefined): number | null {
  const major = /^\d+/.exec(runtime?.version ?? '')?.[0];
  return major === undefined ? null : Number(major);
}

function describe(runtime: Runtime): string {
  return runtime.version === null ? runtime.name : `${runtime.name} ${runtime.version}`;
}

/** Architecture suffixes of distroless tags (`debug-amd64` is the debug variant of `latest-amd64`). */
const ARCH_SUFFIXES: ReadonlySet<string> = new Set(['amd64', 'arm64', 'arm', 's390x', 'ppc64le', 'riscv64']);

/**
 * The tag without its "debug" word (a whole dash/dot/underscore-separated word, any case): `debug-nonroot` →
 * `nonroot`, `1.2-debug` → `1.2`, `debug` → `latest`, `debug-amd64` → `latest-amd64`; null when there is none.
 */
export function withoutDebug(tag: string): string | null {
  const match = /(?:^|[-_.])debug(?:[-_.]|$)/i.exec(tag);
  if (match === null) return null;
  const word = match[0];
  const leading = /^[-_.]/.test(word);
  // Keep one separator: the one after the word when the word starts the tag, else the one before it.
  const start = match.index;
  const end = start + word.length - (leading && /[-_.]$/.test(word) ? 1 : 0);
  const rest = tag.slice(0, start) + tag.slice(end);
  if (rest === '') return 'latest';
  return ARCH_SUFFIXES.has(rest) ? `latest-${rest}` : rest;
}

/**
 * The image written with `tag` replaced by `replacement` (a digest dropped: it names the old tag's image). `tag` is
 * the reference's tag as parsed ("latest" when implicit).
 */
export function withTag(image: string, tag: string, replacement: string): string {
  const at = image.indexOf('@');
  const name = at === -1 ? image : image.slice(0, at);
  const repository = name.endsWith(`:${tag}`) ? name.slice(0, -tag.length - 1) : name;
  return `${repository}:${replacement}`;
}

/**
 * The fix for an image with a shell, a package manager or a debug variant's busybox: its non-debug tag when its tag
 * is a debug one, else the distroless image that fits its facts.
 */
export function replaceImageFix(image: string, tag: string, facts: Pick<ImageFacts, 'runtimes' | 'distribution'>): string {
  const plain = withoutDebug(tag);
  if (plain !== null) return `use ${withTag(image, tag, plain)} (the tag without "debug")`;
  const fit = distrolessFit(facts);
  return `build FROM ${fit.image} (${fit.basis})`;
}
