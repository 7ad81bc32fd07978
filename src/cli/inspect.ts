/**
 * `distroless-guard inspect [-o table|json|yaml] [--platform OS/ARCH[/VARIANT]] [--timeout 60s] [registry flags] IMAGE`
 *
 * Inspects one image the way the webhook does (same inspector, full scan) and prints its facts: an InspectReport
 * with -o json or yaml (schemas/inspect-report.schema.json), a table otherwise. Exit 0 when the image was inspected,
 * whatever the verdict; 2 for a bad reference or bad flags; 1 when the registry or the inspection failed — always
 * with exactly one line on stderr.
 */
import type { Writable } from 'node:stream';
import type { ImageFacts, PlatformFacts } from '../image/facts/types.js';
import { createImageInspector, InspectError } from '../image/inspector.js';
import { parseReference } from '../image/reference/reference.js';
import { CredentialsError } from '../image/registry/credentials.js';
import { EndpointError } from '../image/registry/endpoint.js';
import type { Platform } from '../image/registry/manifest.js';
import { parsePlatform } from '../image/registry/platform-match.js';
import { portableYaml } from '../shared/portable-yaml.js';
import { parseFlags } from './flags.js';
import { INSPECT_COMMAND, INSPECT_FORMATS } from './inspect-command.js';
import { UsageError } from './io.js';
import { outputFormat } from './output-flag.js';
import { credentialProviderFlags, parseDuration, parseMirrors, parseSize } from './registry-flags.js';
import { registryOptions, warningsTo } from './registry-options.js';

export interface InspectIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
}

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

interface InspectArgs {
  readonly format: (typeof INSPECT_FORMATS)[number];
  readonly platform: Platform | undefined;
  readonly registry: Parameters<typeof registryOptions>[0];
  readonly timeoutMs: number;
  readonly image: string;
}

export async function runInspect(args: readonly string[], io: InspectIo): Promise<number> {
  const fail = (code: number, message: string): number => {
    io.stderr.write(`distroless-guard inspect: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return code;
  };
  let parsed: InspectArgs;
  try {
    parsed = parseInspectArgs(args);
  } catch (err) {
    return fail(EXIT_USAGE, err instanceof Error ? err.message : String(err));
  }
  try {
    parseReference(parsed.image);
  } catch (err) {
    return fail(EXIT_USAGE, err instanceof Error ? err.message : String(err));
  }

  const signal = AbortSignal.timeout(parsed.timeoutMs);
  const deadline = Date.now() + parsed.timeoutMs;
  try {
    // A one-shot command: read every layer, and leave nothing running in the background after a timeout.
    const logger = warningsTo(io.stderr, 'distroless-guard inspect');
    const inspector = createImageInspector({ ...(await registryOptions(parsed.registry, io.env, signal, { logger })), earlyStop: false, backgroundGraceMs: 0 });
    const facts = await inspector.inspect(parsed.image, { signal, deadline, ...(parsed.platform !== undefined ? { platform: parsed.platform } : {}) });
    io.stdout.write(render(facts, parsed.format));
    return EXIT_OK;
  } catch (err) {
    if (err instanceof InspectError) return fail(err.code === 'invalid-reference' ? EXIT_USAGE : EXIT_FAILURE, `${err.message} [${err.code}]${err.detail !== undefined ? ` (${err.detail})` : ''}`);
    if (err instanceof CredentialsError || err instanceof EndpointError) return fail(EXIT_FAILURE, err.message);
    if (signal.aborted) return fail(EXIT_FAILURE, `timed out after ${parsed.timeoutMs} ms`);
    return fail(EXIT_FAILURE, err instanceof Error ? err.message : String(err));
  }
}

function parseInspectArgs(args: readonly string[]): InspectArgs {
  const { values, operands: positionals } = parseFlags(INSPECT_COMMAND, args);
  if (positionals.length !== 1) throw new UsageError(`expected exactly one IMAGE, got ${positionals.length} (try --help)`);
  parseMirrors(values.mirror); // malformed --mirror or --max-layer-size: a usage error, before any I/O
  parseSize('--max-layer-size', values['max-layer-size']);
  credentialProviderFlags(values);
  if (values.json && values.output !== undefined && values.output !== 'json') throw new UsageError(`--json and --output ${values.output} ask for two formats: give one`);
  const format = values.json ? 'json' : outputFormat(values, INSPECT_FORMATS);
  const platform = values.platform === undefined ? undefined : parsePlatform(values.platform);
  if (values.platform !== undefined && platform === undefined) throw new UsageError(`--platform ${values.platform}: expected OS/ARCH or OS/ARCH/VARIANT, e.g. linux/arm64`);
  return {
    format,
    platform,
    registry: {
      'insecure-registry': values['insecure-registry'],
      mirror: values.mirror,
      'max-layer-size': values['max-layer-size'],
      'tag-ttl': values['tag-ttl'],
      'tag-max-stale': values['tag-max-stale'],
      'image-credential-provider-config': values['image-credential-provider-config'],
      'image-credential-provider-bin-dir': values['image-credential-provider-bin-dir'],
    },
    timeoutMs: parseDuration(values.timeout),
    image: positionals[0] ?? '',
  };
}

export const INSPECT_REPORT_API_VERSION = 'distroless-guard.io/v1alpha1';

/**
 * The -o json and -o yaml output, keys in a fixed order: schemas/inspect-report.schema.json, documented in
 * docs/cli.md (fields are only ever added). The facts sit at the top level, as `--json` printed them before it had
 * apiVersion and kind.
 */
export function inspectReport(facts: ImageFacts): Record<string, unknown> {
  return {
    apiVersion: INSPECT_REPORT_API_VERSION,
    kind: 'InspectReport',
    image: facts.image,
    digest: facts.digest,
    ...commonFacts(facts),
    platforms: facts.platforms.map((p) => ({ platform: p.platform, digest: p.digest, ...commonFacts(p), scan: { ...p.scan } })),
  };
}

function commonFacts(f: Omit<PlatformFacts, 'platform' | 'digest' | 'scan'>): Record<string, unknown> {
  return {
    shells: [...f.shells],
    packageManagers: [...f.packageManagers],
    user: { configured: f.user.configured, uid: f.user.uid, gid: f.user.gid, name: f.user.name },
    nonRoot: f.nonRoot,
    hasTmpDir: f.hasTmpDir,
    debugVariant: f.debugVariant,
    distroless: f.distroless,
    base: f.base,
    distribution: f.distribution === null ? null : { id: f.distribution.id, versionId: f.distribution.versionId },
    runtimes: f.runtimes.map((r) => ({ name: r.name, version: r.version, path: r.path })),
  };
}

function render(facts: ImageFacts, format: InspectArgs['format']): string {
  switch (format) {
    case 'table':
      return renderTable(facts);
    case 'json':
      return `${JSON.stringify(inspectReport(facts), null, 2)}\n`;
    case 'yaml':
      return portableYaml(inspectReport(facts));
  }
}

function renderTable(facts: ImageFacts): string {
  const list = (xs: readonly string[]): string => (xs.length === 0 ? '-' : xs.join(', '));
  const tri = (v: boolean | null): string => (v === null ? 'unknown' : v ? 'yes' : 'no');
  const user = (u: PlatformFacts['user']): string =>
    `${u.configured === '' ? '(unset: root)' : JSON.stringify(u.configured)} → uid ${u.uid ?? '?'} gid ${u.gid ?? '?'}${u.name !== null ? ` (${u.name})` : ''}`;
  const lines = [
    `Image:             ${facts.image}`,
    `Digest:            ${facts.digest}`,
    `Distroless:        ${facts.distroless ? 'yes' : 'no'}`,
    `Shells:            ${list(facts.shells)}`,
    `Package managers:  ${list(facts.packageManagers)}`,
    `Debug variant:     ${facts.debugVariant ? 'yes' : 'no'}`,
    `User:              ${user(facts.user)}`,
    `Non-root:          ${tri(facts.nonRoot)}`,
    `/tmp directory:    ${facts.hasTmpDir === null ? 'unknown (scan stopped early)' : facts.hasTmpDir ? 'yes' : 'no'}`,
    `Base:              ${facts.base ?? '-'}`,
    '',
  ];
  const header = ['PLATFORM', 'DISTROLESS', 'SHELLS', 'PACKAGE MANAGERS', 'USER', 'NON-ROOT', 'DEBUG', 'LAYERS READ'];
  const rows = facts.platforms.map((p) => [
    p.platform,
    p.distroless ? 'yes' : 'no',
    list(p.shells),
    list(p.packageManagers),
    p.user.uid !== null ? String(p.user.uid) : p.user.configured || '?',
    tri(p.nonRoot),
    p.debugVariant ? 'yes' : 'no',
    `${p.scan.layersRead}/${p.scan.layersTotal}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: readonly string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  lines.push(fmt(header), ...rows.map(fmt), '');
  return lines.join('\n');
}
