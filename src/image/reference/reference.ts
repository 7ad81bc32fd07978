/**
 * Image references, parsed and normalised the way Docker and containerd do (distribution/reference):
 * `nginx` → `docker.io/library/nginx:latest`. Parsing only: no I/O, no registry knowledge beyond Docker Hub's names.
 */

export const DOCKER_HUB = 'docker.io';
/** The host that actually serves Docker Hub's registry API. */
export const DOCKER_HUB_API = 'registry-1.docker.io';
const DEFAULT_TAG = 'latest';
const MAX_NAME_LENGTH = 255;

export interface ImageReference {
  /** Registry host as written (lowercase for names), `index.docker.io` folded into `docker.io`: "docker.io", "localhost:5000". */
  readonly registry: string;
  /** Repository path within the registry: "library/nginx", "a/b". */
  readonly repository: string;
  /** The tag; "latest" when neither a tag nor a digest was given; undefined for a digest-only reference. */
  readonly tag: string | undefined;
  /** "sha256:<64 hex>" when pinned. A pinned digest wins over the tag. */
  readonly digest: string | undefined;
}

export type ImageReferenceErrorCode =
  | 'empty'
  | 'invalid-format'
  | 'uppercase'
  | 'invalid-tag'
  | 'invalid-digest'
  | 'unsupported-digest'
  | 'name-too-long'
  | 'ambiguous-id';

export class ImageReferenceError extends Error {
  override readonly name = 'ImageReferenceError';
  constructor(
    readonly code: ImageReferenceErrorCode,
    readonly input: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid image reference ${JSON.stringify(input)}: ${message}`, options);
  }
}

// distribution/reference grammar (regexp.go).
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const PATH_RE_ANY_CASE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`, 'i');
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256_RE = /^sha256:[a-f0-9]{64}$/;
const HEX64_RE = /^[a-f0-9]{64}$/;

/** Parses and normalises a reference; throws ImageReferenceError with a code a caller can switch on. */
export function parseReference(input: string): ImageReference {
  const text = input.trim();
  if (text === '') throw new ImageReferenceError('empty', input, 'the reference is empty');
  if (HEX64_RE.test(text)) {
    throw new ImageReferenceError('ambiguous-id', input, 'a bare 64-hex string is an image ID, not a repository name');
  }

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) {
      throw new ImageReferenceError('invalid-digest', input, `"${digest}" is not a digest (want sha256:<64 hex>)`);
    }
    if (!digest.startsWith('sha256:')) {
      throw new ImageReferenceError('unsupported-digest', input, `only sha256 digests are supported, got "${digest}"`);
    }
    if (!SHA256_RE.test(digest)) {
      throw new ImageReferenceError('invalid-digest', input, `"${digest}" is not sha256 followed by 64 lowercase hex digits`);
    }
  }

  // A tag follows the last ':' only if no '/' comes after it (otherwise the ':' belongs to a registry port).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1 && !rest.slice(colon + 1).includes('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) {
      throw new ImageReferenceError('invalid-tag', input, `"${tag}" is not a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`);
    }
  }
  if (rest === '') throw new ImageReferenceError('invalid-format', input, 'the repository name is missing');
  if (rest.length > MAX_NAME_LENGTH) {
    throw new ImageReferenceError('name-too-long', input, `the name is longer than ${MAX_NAME_LENGTH} characters`);
  }

  const { registry, repository } = splitDomain(rest, input);
  if (!PATH_RE.test(repository)) {
    if (PATH_RE_ANY_CASE.test(repository)) {
      throw new ImageReferenceError('uppercase', input, `repository name "${repository}" must be lowercase`);
    }
    throw new ImageReferenceError('invalid-format', input, `"${repository}" is not a valid repository name`);
  }
  if (!DOMAIN_RE.test(registry)) {
    throw new ImageReferenceError('invalid-format', input, `"${registry}" is not a valid registry host`);
  }
  return { registry, repository, tag: tag ?? (digest === undefined ? DEFAULT_TAG : undefined), digest };
}

/** docker's splitDockerDomain: the first component is a registry host if it has a '.' or ':', is localhost, or has uppercase. */
function splitDomain(name: string, input: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  let registry: string;
  let repository: string;
  const first = slash === -1 ? '' : name.slice(0, slash);
  if (slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    registry = DOCKER_HUB;
    repository = name;
  } else {
    registry = first;
    repository = name.slice(slash + 1);
  }
  if (repository === '') throw new ImageReferenceError('invalid-format', input, 'the repository name is missing');
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  return { registry, repository };
}

/** The canonical form: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `registry/repository` with no tag or digest. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The host name that serves the registry API for a registry host (`docker.io` → `registry-1.docker.io`). */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** True for a well-formed sha256 digest. */
export function isSha256Digest(value: string): boolean {
  return SHA256_RE.test(value);
}
