/** Why a layer could not be indexed. */
export type LayerIndexErrorCode =
  /** The media type is not a layer media type this indexer knows. */
  | 'unsupported-media-type'
  /** More tar entries than `limits.maxEntries`. */
  | 'too-many-entries'
  /** An entry name or link target longer than `limits.maxNameBytes`. */
  | 'name-too-long'
  /** More decompressed bytes than `limits.maxUncompressedBytes` (e.g. a decompression bomb). */
  | 'too-large'
  /** More PAX / GNU long-name header bytes than `limits.maxHeaderBytes` (a header bomb). */
  | 'too-many-headers'
  /** Bad compression or tar data, including a truncated blob. */
  | 'corrupt'
  /** The input stream itself failed (network, digest mismatch); the original error is the cause. */
  | 'source'
  /** The caller's signal fired. */
  | 'aborted';

export class LayerIndexError extends Error {
  override readonly name = 'LayerIndexError';
  readonly code: LayerIndexErrorCode;
  /** Digest of the layer being indexed. */
  readonly digest: string;

  constructor(code: LayerIndexErrorCode, digest: string, message: string, options?: { cause?: unknown }) {
    super(`layer ${digest}: ${message}`, options);
    this.code = code;
    this.digest = digest;
  }
}
