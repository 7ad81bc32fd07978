/**
 * Certificates that renew (serve --certificate-secret) on a real control plane, on a compressed clock: serving
 * certificates of 12 s and CAs of 30 s, so that within half a minute the guard renews its serving certificate and
 * rotates its CA (start, switch, retire) while admissions never stop:
 *   - a client that trusts only the caBundle it reads from the ValidatingWebhookConfiguration before each request,
 *     as kube-apiserver does, on a new TLS connection each time, to both replicas in turn;
 *   - kube-apiserver itself, through dry-run Pod creations the validating webhook (failurePolicy Fail) must answer.
 * Zero failures are allowed; the counts are printed.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import { after, describe, it } from 'node:test';
import { AdmissionregistrationV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../support/control-plane.js';
import { e2eCluster, type Cluster } from '../support/e2e-cluster.js';
import { GUARD_ACCOUNT, GUARD_NAMESPACE, installGuard, webhookCaBundle, type GuardReplica, type InstalledGuard } from '../support/e2e-guard.js';
import { createNamespaces, e2eSetUp, tearDown } from '../support/e2e-fixtures.js';
import { podReview } from '../support/reviews.js';

const NS = 'e2e-certificates';
const LIFETIMES = ['--certificate-lifetime', '12s', '--ca-lifetime', '30s', '--tls-reload-interval', '500ms', '--ca-bundle-interval', '1s'];
const HARDENED = {
  runAsNonRoot: true,
  runAsUser: 65532,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

let cluster: Cluster;
let guard: InstalledGuard;

function ready(): { cluster: Cluster; guard: InstalledGuard; replicas: readonly GuardReplica[] } {
  assertSetUp();
  return { cluster, guard, replicas: guard.replicas };
}

const assertSetUp = e2eSetUp(async () => {
  cluster = await e2eCluster();
  // Offline: the default policy judges the pod spec only, so no registry is involved in what is measured.
  // The install as it ships: --certificate-secret and its empty Secret.
  guard = await installGuard(cluster, { extraArgs: ['--offline', ...LIFETIMES] });
  await guard.startReplica('guard-1');
  await createNamespaces(cluster, [NS], { timeoutMs: 60_000, waitForDefaultAccount: cluster.controllerManager });
});

after(() => tearDown({ cluster, guard, namespaces: [NS] }));

/** One admission outcome: the serving certificate and its CA when it succeeded, the reason when not. */
type Outcome = { ok: true; serving: string; ca: string } | { ok: false; error: string };

/** What each sender saw. */
class Tally {
  ok = 0;
  readonly failures: string[] = [];
  readonly serving = new Set<string>();
  readonly cas = new Set<string>();
  add(outcome: Outcome): void {
    if (!outcome.ok) {
      this.failures.push(outcome.error);
      return;
    }
    this.ok++;
    this.serving.add(outcome.serving);
    this.cas.add(outcome.ca);
  }
}

/** A review as kube-apiserver sends it: trusting only the caBundle of the configuration, on a new connection. */
async function reviewTrustingCaBundle(admission: AdmissionregistrationV1Api, port: number): Promise<Outcome> {
  let ca: string;
  try {
    const config = await admission.readValidatingWebhookConfiguration({ name: 'distroless-guard' });
    ca = Buffer.from(config.webhooks?.[0]?.clientConfig?.caBundle ?? '', 'base64').toString('utf8');
  } catch (err) {
    return { ok: false, error: `reading the caBundle: ${err instanceof Error ? err.message : String(err)}` };
  }
  const body = JSON.stringify(
    podReview({ containers: [{ name: 'app', image: 'gcr.io/distroless/static:nonroot', securityContext: HARDENED }] }, { namespace: NS }),
  );
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/validate?timeout=10s',
        method: 'POST',
        ca,
        agent: false,
        timeout: 10_000,
        headers: { 'Content-Type': 'application/json' },
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const allowed = res.statusCode === 200 && (JSON.parse(text) as { response?: { allowed?: boolean } }).response?.allowed === true;
          resolve(
            allowed
              ? { ok: true, serving: peer.fingerprint256, ca: String(peer.issuer.CN) }
              : { ok: false, error: `HTTP ${String(res.statusCode)}: ${text.slice(0, 200)}` },
          );
        });
      },
    );
    req.on('error', (err) => resolve({ ok: false, error: `port ${port}: ${err.message}` }));
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

/** A dry-run Pod creation: kube-apiserver calls the validating webhook (failurePolicy Fail) with its caBundle. */
async function admitThroughApiServer(core: CoreV1Api, i: number): Promise<Outcome> {
  const pod: V1Pod = {
    metadata: { name: `renewal-${i}`, namespace: NS },
    spec: { containers: [{ name: 'app', image: 'gcr.io/distroless/static:nonroot', securityContext: HARDENED }] },
  };
  try {
    await core.createNamespacedPod({ namespace: NS, body: pod, dryRun: 'All' });
    return { ok: true, serving: '', ca: '' };
  } catch (err) {
    const body = (err as { body?: unknown }).body;
    return { ok: false, error: typeof body === 'string' ? body.slice(0, 300) : err instanceof Error ? err.message : String(err) };
  }
}

/** The certificate actions the replicas logged, in order. */
function actions(replicas: readonly GuardReplica[]): string[] {
  const lines = replicas.flatMap((r) => r.output().split('\n')).filter((l) => l.startsWith('{'));
  return lines
    .map((l) => JSON.parse(l) as { msg?: string; action?: string; time?: number })
    .filter((l) => l.msg === 'certificate Secret updated')
    .sort((a, b) => (a.time ?? 0) - (b.time ?? 0))
    .map((l) => l.action ?? '?');
}

describe('serve --certificate-secret on a compressed clock (serving 12 s, CA 30 s)', () => {
  it('renews the serving certificate and rotates the CA while every admission succeeds, on every replica', { timeout: 5 * 60_000 }, async () => {
    const { cluster, replicas } = ready();
    const config = new KubeConfig();
    config.loadFromFile(cluster.kubeconfigPath);
    const admission = config.makeApiClient(AdmissionregistrationV1Api);
    const core = config.makeApiClient(CoreV1Api);

    const direct = replicas.map(() => new Tally());
    const viaApiServer = new Tally();
    let sending = true;
    const senders = [
      ...replicas.map(async (replica, i) => {
        while (sending) direct[i]?.add(await reviewTrustingCaBundle(admission, replica.port));
      }),
      (async () => {
        for (let i = 0; sending; i++) viaApiServer.add(await admitThroughApiServer(core, i));
      })(),
    ];

    // Until the CA has been rotated and retired and the serving certificate renewed again under the new CA.
    const wanted = ['renew-serving', 'rotate-ca-start', 'rotate-ca-switch', 'rotate-ca-finish', 'renew-serving'];
    const seenInOrder = (log: readonly string[]): boolean => {
      let at = 0;
      for (const step of wanted) {
        at = log.indexOf(step, at) + 1;
        if (at === 0) return false;
      }
      return true;
    };
    try {
      await waitFor('a serving renewal, a CA rotation and a renewal under the new CA', async () => (seenInOrder(actions(replicas)) ? true : undefined), {
        timeoutMs: 120_000,
        describe: () => `actions so far: ${actions(replicas).join(', ')}`,
      });
    } finally {
      sending = false;
      await Promise.all(senders);
    }

    const log = actions(replicas);
    const summary = [
      `certificate actions: ${log.join(', ')}`,
      ...replicas.map(
        (r, i) =>
          `${r.name} direct: ${direct[i]?.ok} ok, ${direct[i]?.failures.length} failed, ` +
          `${direct[i]?.serving.size} certificates, CAs ${[...(direct[i]?.cas ?? [])].join(' | ')}`,
      ),
      `through kube-apiserver: ${viaApiServer.ok} ok, ${viaApiServer.failures.length} failed`,
    ];
    console.log(summary.join('\n'));
    assert.equal(log[0], 'issue', 'the empty Secret was filled by the leader');
    for (const [i, tally] of direct.entries()) {
      assert.deepEqual(tally.failures.slice(0, 5), [], `${replicas[i]?.name}: ${tally.failures.length} failures`);
      assert.ok(tally.ok >= 50, `${replicas[i]?.name}: ${tally.ok} admissions`);
      assert.ok(tally.serving.size >= 3, `${replicas[i]?.name} served ${tally.serving.size} certificates: every replica reloads`);
      assert.ok(tally.cas.size >= 2, `${replicas[i]?.name} served certificates of ${tally.cas.size} CAs`);
    }
    assert.deepEqual(viaApiServer.failures.slice(0, 5), [], `${viaApiServer.failures.length} failures through kube-apiserver`);
    assert.ok(viaApiServer.ok >= 50, `${viaApiServer.ok} admissions through kube-apiserver`);
  });

  it('re-applying the install (kubectl apply client-side, then server-side) leaves the Secret and caBundle the guard wrote', async () => {
    const { cluster, guard, replicas } = ready();
    // The Secret ships without data: neither apply claims what the guard wrote (an empty tls.crt would be put back
    // by a client-side apply, and conflict with the guard's writes on a server-side one).
    const input = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: guard.objects });
    await cluster.ok(['apply', '-f', '-'], { input });
    await cluster.ok(['apply', '--server-side', '--field-manager=e2e-install', '-f', '-'], { input });
    const secret = await cluster.json<{ data?: Record<string, string> }>(['get', 'secret', guard.tlsSecret, '-n', GUARD_NAMESPACE]);
    for (const key of ['tls.crt', 'tls.key', 'ca.crt', 'ca.key']) assert.ok((secret.data?.[key] ?? '').length > 100, `${key} is still there`);
    assert.match((await webhookCaBundle(cluster)) ?? '', /BEGIN CERTIFICATE/);
    // An emptied Secret would have the leader issue a new CA within a round (--ca-bundle-interval 1s).
    await sleep(3_000);
    assert.deepEqual(actions(replicas).filter((a) => a === 'issue'), ['issue'], 'issued once, when installed');
  });

  it('needs only the RBAC of the install: get and update of its own TLS Secret and Leases, nothing wider', async () => {
    const { cluster, guard } = ready();
    const can = async (...args: string[]): Promise<boolean> =>
      (await cluster.kubectl(['auth', 'can-i', ...args, `--as=${GUARD_ACCOUNT}`])).stdout.trim() === 'yes';
    const expected: Array<[string[], boolean]> = [
      [['update', `secrets/${guard.tlsSecret}`, '-n', GUARD_NAMESPACE], true],
      [['update', 'secrets/another', '-n', GUARD_NAMESPACE], false],
      [['list', 'secrets', '-n', GUARD_NAMESPACE], false],
      [['create', 'secrets', '-n', GUARD_NAMESPACE], false],
      [['update', 'leases/distroless-guard-certificates', '-n', GUARD_NAMESPACE], true],
    ];
    const got = await Promise.all(expected.map(async ([args]) => can(...args)));
    assert.deepEqual(got, expected.map(([, want]) => want), expected.map(([args], i) => `${args.join(' ')}: ${String(got[i])}`).join('\n'));
  });
});
