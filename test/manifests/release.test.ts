/**
 * scripts/release-manifest.sh: the single-file install is `kubectl kustomize manifests/` with the image pinned by
 * digest, and nothing else changed; an image without a digest is refused.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { kustomize, parseObjects, ROOT, sortById } from '../support/helm.js';

const run = promisify(execFile);
const SCRIPT = join(ROOT, 'scripts/release-manifest.sh');
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('scripts/release-manifest.sh', () => {
  const cases: ReadonlyArray<[string, string, string]> = [
    [
      'a registry with a port, a tag and a digest',
      `registry.example.com:5000/team/distroless-guard:0.1.0@${DIGEST}`,
      `registry.example.com:5000/team/distroless-guard:0.1.0@${DIGEST}`,
    ],
    ['a digest without a tag', `ghcr.io/example/distroless-guard@${DIGEST}`, `ghcr.io/example/distroless-guard@${DIGEST}`],
  ];
  for (const [name, image, expected] of cases) {
    it(`writes the kustomize rendering with the image pinned: ${name}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'dg-release-'));
      try {
        const out = join(dir, 'install.yaml');
        const { stdout } = await run('sh', [SCRIPT, image, 'manifests', out], { cwd: ROOT });
        assert.equal(stdout.trim().split('\n').pop(), out);
        const text = await readFile(out, 'utf8');
        assert.match(text, /^# distroless-guard \d+\.\d+\.\d+: kubectl kustomize manifests, image /);
        const released = parseObjects(text);
        const base = (await kustomize({ resources: ['manifests'] })).map((o) => {
          if (o.kind !== 'Deployment') return o;
          const copy = structuredClone(o) as typeof o & { spec: { template: { spec: { containers: Array<{ image: string }> } } } };
          for (const c of copy.spec.template.spec.containers) c.image = expected;
          return copy;
        });
        assert.deepEqual(sortById(released), sortById(base));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  for (const [name, image] of [
    ['a tag only', 'registry.example.com/distroless-guard:0.1.0'],
    ['a digest that is not sha256 hex', 'registry.example.com/distroless-guard@sha256:xyz'],
  ] as const) {
    it(`refuses ${name} (exit 2, nothing written)`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'dg-release-'));
      try {
        const error = await run('sh', [SCRIPT, image, 'manifests', join(dir, 'install.yaml')], { cwd: ROOT }).then(
          () => undefined,
          (e: { code?: number; stderr?: string }) => e,
        );
        assert.equal(error?.code, 2);
        assert.match(error?.stderr ?? '', /release-manifest: error: /);
        await assert.rejects(readFile(join(dir, 'install.yaml')));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
