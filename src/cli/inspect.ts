/**
 * `distroless-guard inspect [--json] [--insecure-registry HOST]... [--mirror FROM=TO]... [--timeout 60s] IMAGE`
 *
 * Inspects one image the way the webhook does (same inspector, full scan) and prints its facts: one JSON object with
 * --json, a table otherwise. Exit 0 when the image was inspected, whatever the verdict; 2 for a bad reference or
 * bad flags; 1 when the registry or the inspection failed — always with exactly one line on stderr.
 */
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { ImageFacts, PlatformFacts } from '../image/facts/types.js';
import { createImageInspector, InspectError } from '../image/inspector.js';
import { parseReference } from '../image/reference/reference.js';
import { CredentialsError } from '../image/registry/credentials.js';
import { EndpointError } from '../image/registry/endpoint.js';
import { UsageError } from './io.js';
import { parseDuration, parseMirrors, parseSize, REGISTRY_FLAGS, REGISTRY_FLAGS_USAGE, registryOptions } from './registry-flags.js';

export const INSPECT_USAGE = `Usage: distroless-guard inspect [--json] [--insecure-registry HOST]... [--mirror FROM=TO]... [--max-layer-size 16Gi]
                               [--timeout 60s] IMAGE

Reads IMAGE from its registry (every linux platform, every layer) and reports its shells, package managers, user,
whether it has a /tmp directory, whether it is a debug variant and whether it is distroless. Credentials come from
$DOCKER_CONFIG/config.json or ~/.docker/config.json. Loopback registries are spoken to over plain HTTP; others need
--insecure-registry for that.
  --json                    print one JSON object instead of a table
  --timeout DURATION        give up after DURATION (500ms, 60s, 2m; default 60s)
${REGISTRY_FLAGS_USAGE}`;

export interface InspectIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
}

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

interface InspectArgs {
  readonly json: boolean;
  readonly registry: Parameters<typeof registryOptions>[0];
  readonly timeoutMs: number;
  readonly image: string;
}

export async function runInspect(args: string[], io: InspectIo): Promise<number> {
  const fail = (code: number, message: string): number => {
    io.stderr.write(`distroless-guard inspect: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return code;
  };
  let parsed: InspectArgs | 'help';
  try {
    parsed = parseInspectArgs(args);
  } catch (err) {
    return fail(EXIT_USAGE, err instanceof Error ? err.message : String(err));
  }
  if (parsed === 'help') {
    io.stdout.write(`${INSPECT_USAGE}\n`);
    return EXIT_OK;
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
    const inspector = createImageInspector({ ...(await registryOptions(parsed.registry, io.env, signal)), earlyStop: false, backgroundGraceMs: 0 });
    const facts = await inspector.inspect(parsed.image, { signal, deadline });
    io.stdout.write(parsed.json ? `${JSON.stringify(factsJson(facts))}\n` : renderTable(facts));
    return EXIT_OK;
  } catch (err) {
    if (err instanceof InspectError) return fail(err.code === 'invalid-reference' ? EXIT_USAGE : EXIT_FAILURE, `${err.message} [${err.code}]${err.detail !== undefined ? ` (${err.detail})` : ''}`);
    if (err instanceof CredentialsError || err instanceof EndpointError) return fail(EXIT_FAILURE, err.message);
    if (signal.aborted) return fail(EXIT_FAILURE, `timed out after ${parsed.timeoutMs} ms`);
    return fail(EXIT_FAILURE, err instanceof Error ? err.message : String(err));
  }
}

function parseInspectArgs(args: readonly string[]): InspectArgs | 'help' {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      json: { type: 'boolean', default: false },
      ...REGISTRY_FLAGS,
      timeout: { type: 'string', default: '60s' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(`expected exactly one IMAGE, got ${positionals.length} (try --help)`);
  parseMirrors(values.mirror); // malformed --mirror or --max-layer-size: a usage error, before any I/O
  parseSize('--max-layer-size', values['max-layer-size']);
  return {
    json: values.json,
    registry: {
      'insecure-registry': values['insecure-registry'],
      mirror: values.mirror,
      'max-layer-size': values['max-layer-size'],
      'tag-ttl': values['tag-ttl'],
      'tag-max-stale': values['tag-max-stale'],
    },
    timeoutMs: parseDuration(values.timeout),
    image: positionals[0] ?? '',
  };
}

/** The --json shape, keys in a fixed order. */
export function factsJson(facts: ImageFacts): Record<string, unknown> {
  return {
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
  };
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
