import type { CommandDefinition } from './flags.js';
import { outputFlags } from './output-flag.js';
import { REGISTRY_FLAGS } from './registry-flags.js';

export const INSPECT_FORMATS = ['table', 'json', 'yaml'] as const;

const flags = {
  ...outputFlags(INSPECT_FORMATS, '; json and yaml follow schemas/inspect-report.schema.json'),
  json: { type: 'boolean' },
  platform: { type: 'string', value: 'OS/ARCH[/VARIANT]', help: 'inspect only the image a node of this platform pulls, e.g. linux/arm64 (default: every linux platform)' },
  timeout: { type: 'string', value: 'DURATION', default: '60s', help: 'give up after DURATION (500ms, 60s, 2m)' },
  ...REGISTRY_FLAGS,
} as const;

/** `inspect IMAGE`: what the guard learns of an image. (runner: inspect.ts) */
export const INSPECT_COMMAND: CommandDefinition<typeof flags> = {
  name: 'inspect',
  summary: 'inspect an image: shells, package managers, user',
  operands: 'IMAGE',
  description: `Reads IMAGE from its registry (every linux platform, or the one --platform names; every layer) and reports its
shells, package managers, user, whether it has a /tmp directory, whether it is a debug variant and whether it is
distroless. Credentials come from the kubelet's credential provider plugins (--image-credential-provider-config),
then $DOCKER_CONFIG/config.json or ~/.docker/config.json (with its credential helpers), then containers auth.json.
Loopback registries are spoken to over plain HTTP; others need --insecure-registry for that. Exit 0 when the image
was inspected, whatever the verdict; 1 when the registry or the inspection failed; 2 for a bad reference or flag.`,
  flags,
};
