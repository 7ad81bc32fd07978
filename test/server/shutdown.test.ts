import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiserverClient } from '../support/https-client.js';
import { podReview, podSpec } from '../support/reviews.js';

/**
 * SIGTERM to a real `serve` process with a review in flight (its image's registry answers slowly): the review is
 * answered, readiness fails at once, and the process exits by itself well within the termination grace.
 */
const LAUNCHER = resolve(import.meta.dirname, '../../bin/distroless-guard');
const REGISTRY_DELAY_MS = 2_500;

let dir: string;
let registry: Server;
let child: ChildProcess;
let stderr = '';
let registryHit: () => void;
const registryHitOnce = new Promise<void>((resolve) => {
  registryHit = resolve;
});

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dg-shutdown-'));
  registry = createServer((_req, res) => {
    registryHit();
    setTimeout(() => {
      res.statusCode = 404;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
    }, REGISTRY_DELAY_MS);
  });
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
});
after(async () => {
  child?.kill('SIGKILL');
  registry.closeAllConnections();
  registry.close();
  await rm(dir, { recursive: true, force: true });
});

async function startChild(): Promise<number> {
  child = spawn(LAUNCHER, ['serve', '--port', '0', '--host', '127.0.0.1', '--certs-dir', join(dir, 'certs'), '--shutdown-delay', '1s', '--log-level', 'warn'], {
    cwd: dir,
    env: { ...process.env, DOCKER_CONFIG: join(dir, 'no-docker-config') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolvePort, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const port = /serving https:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1];
      if (port) resolvePort(Number(port));
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
  });
}

describe('graceful shutdown on SIGTERM', () => {
  it('answers the review in flight, reports not ready meanwhile, and exits 0 on its own', async () => {
    const port = await startChild();
    const client = apiserverClient(port, await readFile(join(dir, 'certs/ca.crt'), 'utf8'));
    try {
      const image = `127.0.0.1:${(registry.address() as AddressInfo).port}/slow/app:1.0`;
      const events: string[] = [];
      const inFlight = client.post('/validate?timeout=10s', JSON.stringify(podReview(podSpec(image)))).then((reply) => {
        events.push('answered');
        return reply;
      });
      const exited = new Promise<number | null>((resolveExit) =>
        child.once('exit', (code) => {
          events.push('exited');
          resolveExit(code);
        }),
      );
      await registryHitOnce;
      const signalled = performance.now();
      child.kill('SIGTERM');

      const readyz = await client.get('/readyz');
      assert.equal(readyz.status, 503, 'not ready as soon as the signal arrived');
      assert.match(readyz.body, /\[-\]shutdown failed: shutting down/);

      const reply = await inFlight;
      assert.equal(reply.status, 200);
      assert.equal((reply.json as { response: { uid: string } }).response.uid, 'b4f0c0de-1111-4e2d-9c1a-000000000001');
      assert.equal(await exited, 0, stderr);
      const tookMs = performance.now() - signalled;
      assert.deepEqual(events, ['answered', 'exited']);
      assert.ok(tookMs >= REGISTRY_DELAY_MS - 500, `the in-flight review was waited for (${tookMs} ms)`);
      assert.ok(tookMs < 15_000, `exited ${tookMs} ms after SIGTERM`);
      assert.match(stderr, /SIGTERM: shutting down, finishing in-flight reviews/);
    } finally {
      client.close();
    }
  });
});
