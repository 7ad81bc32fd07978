/**
 * Prints what scripts/image.sh built, from `buildah inspect --type image` (JSON in the file named by argv[2]): the
 * image's size, its layers with the history entry that made each, and the configuration the runtime uses.
 * Sizes are of the uncompressed layer tars buildah stores; a registry holds them gzipped, several times smaller.
 */
import { readFileSync } from 'node:fs';

interface HistoryEntry {
  readonly created_by?: string;
  readonly comment?: string;
  readonly empty_layer?: boolean;
}

interface BuildahImage {
  readonly FromImageID?: string;
  readonly Manifest: string;
  readonly OCIv1: {
    readonly config?: { readonly User?: string; readonly WorkingDir?: string; readonly Entrypoint?: string[]; readonly Cmd?: string[]; readonly Labels?: Record<string, string> };
    readonly history?: HistoryEntry[];
  };
}

interface Manifest {
  readonly config: { readonly digest: string };
  readonly layers: readonly { readonly digest: string; readonly size: number }[];
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`.padStart(9);
}

/** buildah records COPY steps as `/bin/sh -c #(nop) COPY dir:<hash> in ./node_modules `: keep what a reader needs. */
function step(entry: HistoryEntry | undefined): string {
  const text = (entry?.created_by ?? '(no history)').replace(/^\/bin\/sh -c #\(nop\) /, '').replace(/(dir|file):[0-9a-f]{64} /, '').trim();
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

const path = process.argv[2];
if (path === undefined) throw new Error('usage: describe.ts INSPECT.json');
const image = JSON.parse(readFileSync(path, 'utf8')) as BuildahImage;
const manifest = JSON.parse(image.Manifest) as Manifest;
const history = (image.OCIv1.history ?? []).filter((entry) => entry.empty_layer !== true);
const total = manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
const config = image.OCIv1.config ?? {};

const lines = [`image ${manifest.config.digest.slice(0, 19)}: ${megabytes(total).trim()} in ${manifest.layers.length} layers (uncompressed)`];
manifest.layers.forEach((layer, index) => lines.push(`  ${megabytes(layer.size)}  ${layer.digest.slice(7, 19)}  ${step(history[index])}`));
lines.push(`  user ${config.User ?? '(none)'}, workdir ${config.WorkingDir ?? '/'}`);
lines.push(`  entrypoint ${JSON.stringify(config.Entrypoint ?? [])}, cmd ${JSON.stringify(config.Cmd ?? [])}`);
const standIn = config.Labels?.['io.distroless-guard.stand-in'];
if (standIn !== undefined) lines.push(`  base: a stand-in for ${standIn} (label io.distroless-guard.stand-in)`);
process.stdout.write(`${lines.join('\n')}\n`);
