/**
 * Whether the image has a /tmp directory. Scratch-based images (a static binary and little else) often lack one,
 * and then anything writing a temporary file fails (Go's os.CreateTemp, Java's java.io.tmpdir, Python's tempfile):
 * the classic scratch pitfall, fixed by mounting an emptyDir there.
 *
 * Resolved like stat(2): `/tmp -> var/tmp` counts when the target is a directory; a regular file, a dangling link or
 * a loop does not. A directory only implied by a layer's deeper entries (`tmp/x` without `tmp/`) counts, since tar
 * extraction creates it.
 */
import type { Union } from '../layers/union.js';

export const TMP_DIR = '/tmp';

export function hasTmpDir(union: Union): boolean {
  return union.resolve(TMP_DIR)?.entry.kind === 'dir';
}
