import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiserverClient, type HttpsReply } from '../support/https-client.js';
import { podReview, podSpec } from '../support/reviews.js';
import { loopbackServeArgs } from '../support/serve-fixture.js';

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
let registryHits = 0;
const registryHitOnce = new Promise<void>((resolve) => {
  registryHit = resolve;
});

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dg-shutdown-'));
  registry = createServer((_req, res) => {
    registryHits++;
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

async function startChild(extra: readonly string[] = []): Promise<number> {
  stderr = '';
  child = spawn(
    LAUNCHER,
    [
      'serve',
      ...loopbackServeArgs(dir),
      '--shutdown-delay',
      '1s',
      '--insecure-registry',
      '127.0.0.0/8',
      '--log-level',
      'warn',
      ...extra,
    ],
    {
      cwd: dir,
      env: { ...process.env, DOCKER_CONFIG: join(dir, 'no-docker-config') },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
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

/**
 * Only the image rules need the registry: namespace "fast" is judged on its pod spec alone (answered in about a
 * millisecond), namespace "slow" on an image whose registry takes REGISTRY_DELAY_MS to answer.
 */
const LOAD_POLICIES = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: pod-spec}
spec:
  mode: Enforce
  match: {namespaces: ["fast"]}
  rules:
    noShell: {action: Disabled}
    noPackageManager: {action: Disabled}
    nonRoot: {action: Disabled}
    noDebugTag: {action: Disabled}
---
apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: images}
spec:
  mode: Enforce
  failurePolicy: Ignore
  match: {namespaces: ["slow"]}
`;

describe('graceful shutdown on SIGTERM under load', () => {
  it('drops no request: every review sent before the endpoint is withdrawn is answered, slow ones included', async (t) => {
    await writeFile(join(dir, 'policies.yaml'), LOAD_POLICIES);
    const port = await startChild(['--policy', join(dir, 'policies.yaml'), '--shutdown-delay', '2s']);
    const ca = await readFile(join(dir, 'certs/ca.crt'), 'utf8');
    const image = `127.0.0.1:${(registry.address() as AddressInfo).port}/slow/app:2.0`;
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    // kube-apiserver keeps several connections open; each load client here is one of them.
    const clients = Array.from({ length: 8 }, () => apiserverClient(port, ca));
    const probe = apiserverClient(port, ca);
    const replies: HttpsReply[] = [];
    const failures: string[] = [];
    let sending = true;
    let sent = 0;
    const post = async (client: ReturnType<typeof apiserverClient>, namespace: string, uid: string, pod: string): Promise<void> => {
      sent++;
      try {
        const reply = await client.post('/validate?timeout=10s', JSON.stringify(podReview(podSpec(pod), { namespace, uid })));
        replies.push(reply);
        const response = (reply.json as { response?: { uid?: string } } | undefined)?.response;
        if (reply.status !== 200 || response?.uid !== uid) failures.push(`${uid}: ${reply.status} ${reply.body.slice(0, 200)}`);
      } catch (err) {
        failures.push(`${uid}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    try {
      const load = clients.map(async (client, c) => {
        for (let i = 0; sending; i++) await post(client, 'fast', `load-${c}-${i}`, 'registry.example/app:1.0');
      });
      await sleep(300);
      // Reviews whose image takes the registry 2.5 s: in flight across the moment the server stops accepting.
      const hitsBefore = registryHits;
      const slow = Array.from({ length: 3 }, (_, i) => post(clients[i] ?? probe, 'slow', `slow-${i}`, image));
      while (registryHits === hitsBefore) await sleep(10);
      const before = sent;
      child.kill('SIGTERM');
      const signalled = performance.now();
      // The endpoints controller sees /readyz fail and withdraws the endpoint; the API server then stops sending
      // new reviews. Modelled here as: the load stops half-way through the 2 s shutdown delay.
      let readyz = await probe.get('/readyz');
      while (readyz.status === 200) readyz = await probe.get('/readyz');
      assert.equal(readyz.status, 503);
      await sleep(Math.max(0, 1_000 - (performance.now() - signalled)));
      sending = false;
      await Promise.all([...load, ...slow]);
      const during = sent - before;
      assert.deepEqual(failures, [], `${failures.length} of ${sent} reviews failed`);
      assert.equal(replies.length, sent);
      assert.ok(during > 50, `${during} reviews were sent after SIGTERM`);
      assert.equal(await exited, 0, stderr);
      const took = performance.now() - signalled;
      assert.ok(took >= 2_000, `the shutdown delay was kept (${took.toFixed(0)} ms)`);
      t.diagnostic(`${sent} reviews answered, ${during} of them sent after SIGTERM; exited ${took.toFixed(0)} ms after it`);
    } finally {
      for (const client of clients) client.close();
      probe.close();
    }
  });
});
