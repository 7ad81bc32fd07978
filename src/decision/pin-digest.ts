/**
 * Digest pinning: `repo:tag` → `repo:tag@sha256:…`, the digest of the manifest or index that was inspected. The
 * kubelet then pulls exactly the image that was judged even if the tag moves after admission (tags are mutable; a
 * Kyverno CVE was exactly this). With both a tag and a digest, the container runtime uses the digest.
 */
export function hasDigest(image: string): boolean {
  return image.includes('@');
}

/** The pinned reference, or undefined when there is nothing to pin (no image, or a digest already). */
export function pinnedImage(image: string, digest: string): string | undefined {
  if (image === '' || hasDigest(image)) return undefined;
  return `${image}@${digest}`;
}
