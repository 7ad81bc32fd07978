import { rename, writeFile } from 'node:fs/promises';

/**
 * Writes through a temporary file and a rename, so a reader (the TLS reload poll, a kubelet-style watcher) never
 * sees half a key or certificate.
 */
export async function writeAtomically(path: string, content: string | Uint8Array, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode });
  await rename(temporary, path);
}
