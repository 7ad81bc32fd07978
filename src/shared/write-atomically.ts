import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';

/**
 * Writes through a temporary file and a rename, so a reader (the TLS reload poll, a kubelet-style watcher) never
 * sees half a key or certificate. The temporary name is unpredictable and created exclusively (`wx`: never an
 * existing file, never through a planted symlink) with `mode` from the start; the content is flushed to disk before
 * the rename, and the temporary file is removed when anything fails.
 */
export async function writeAtomically(path: string, content: string | Uint8Array, mode: number): Promise<void> {
  const temporary = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  const file = await open(temporary, 'wx', mode);
  try {
    try {
      await file.writeFile(content);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}
