/** The base an image is built on, as far as its content or labels say. */
import type { OsRelease } from './os-release.js';

/** The OCI annotation (image-spec annotations.md), also set as a label by many builders. */
export const BASE_NAME_LABEL = 'org.opencontainers.image.base.name';

/**
 * os-release PRETTY_NAME ("Distroless", "Debian GNU/Linux 12 (bookworm)"), else its NAME (os-release(5) makes
 * PRETTY_NAME optional), else the base-name label, else null.
 */
export function baseOf(
  osRelease: OsRelease | undefined,
  labels: Readonly<Record<string, string>> | null | undefined,
): string | null {
  const named = osRelease?.['PRETTY_NAME'] || osRelease?.['NAME'];
  if (named) return named;
  return labels?.[BASE_NAME_LABEL] || null;
}
