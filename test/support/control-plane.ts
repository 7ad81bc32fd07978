/**
 * A real Kubernetes control plane for end-to-end tests, started the way controller-runtime's envtest starts one
 * (pkg/internal/testing/controlplane: etcd with --unsafe-no-fsync, kube-apiserver with its own certificates and
 * service-account keys), plus kube-controller-manager so Deployments get ReplicaSets and Pods and namespaces get
 * their `default` ServiceAccount. No kubelet, scheduler or kube-proxy: Pods are stored and stay Pending.
 *
 * The binaries come from scripts/control-plane.sh, which builds them from Go modules on first use (11-14 minutes on
 * 2 cores, then cached in .cache/controlplane/<release>/) or takes them from KUBEBUILDER_ASSETS.
 *
 * Everything listens on 127.0.0.1 only, on ports picked free at start. Every wait is bounded; a component that exits
 * or does not become ready fails the start with the end of its log. Component logs are files in the temp dir
 * (`CONTROL_PLANE_KEEP=1` keeps that dir after stop() for a look).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPair, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { trackChild, trackDir, untrackChild, untrackDir } from './cleanup.js';
import { freePort } from './net.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILD_SCRIPT = join(REPO_ROOT, 'scripts', 'control-plane.sh');
const GO_MOD = join(REPO_ROOT, 'test', 'controlplane', 'go.mod');

export interface KubectlOptions {
  /** Written to kubectl's standard input (e.g. a manifest for `apply -f -`). */
  readonly input?: string;
  /** Killed after this long; the result then has `code: null` and says so in stderr. Default 60 s. */
  readonly timeoutMs?: number;
}

export interface KubectlResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; null when kubectl was killed (timeout). */
  readonly code: number | null;
}

export interface StartupTimings {
  readonly binariesMs: number;
  readonly certificatesMs: number;
  readonly etcdMs: number;
  readonly apiServerMs: number;
  readonly controllerManagerMs: number;
  /** From the call to startControlPlane() until it returned, binaries included. */
  readonly totalMs: number;
}

export interface ControlPlane {
  /** Admin kubeconfig (user `admin` in group system:masters, client certificate). */
  readonly kubeconfigPath: string;
  /** https://127.0.0.1:PORT */
  readonly server: string;
  /** The CA that signed the API server's serving certificate and the client certificates. */
  readonly caPem: string;
  /** The admin user's client certificate and key, for direct HTTPS calls. */
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  /** gitVersion of the running API server's /version, e.g. v1.37.2. */
  readonly version: string;
  /** Folder of the binaries used. */
  readonly binDir: string;
  /** The temp folder holding the components' data, certificates and logs (`<component>.log`). */
  readonly dir: string;
  /** Whether kube-controller-manager runs (KUBEBUILDER_ASSETS may lack it). */
  readonly controllerManager: boolean;
  readonly timings: StartupTimings;
  /** Runs the control plane's own kubectl against this cluster. */
  kubectl(args: readonly string[], options?: KubectlOptions): Promise<KubectlResult>;
  /** GET on the API server as the admin user. */
  get(path: string): Promise<{ status: number; body: string }>;
  /** Stops every component (SIGTERM, then SIGKILL after a bound) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Bound on locating/building the binaries. Default 60 min (a cold build took 11-14 on 2 cores). */
  readonly buildTimeoutMs?: number;
  /** Bound on each component becoming ready. Default 120 s. */
  readonly readyTimeoutMs?: number;
  /** Where build progress lines go. Default: process.stderr. */
  readonly progress?: (line: string) => void;
  /** Run kube-controller-manager when its binary is there. Default true. */
  readonly controllerManager?: boolean;
}

/** The Kubernetes release pinned in test/controlplane/go.mod (the one scripts/control-plane.sh builds). */
export function pinnedKubernetesVersion(): string {
  const match = /^\s*k8s\.io\/kubernetes\s+(v1\.\d+\.\d+)\s*$/m.exec(readFileSync(GO_MOD, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`no k8s.io/kubernetes requirement in ${GO_MOD}`);
  return match[1];
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function logTail(path: string, lines = 30): string {
  try {
    return tail(readFileSync(path, 'utf8'), lines);
  } catch (error) {
    return `(no log: ${(error as Error).message})`;
  }
}

/**
 * Runs scripts/control-plane.sh (building on first use) and returns the folder holding the binaries: the last line
 * of its standard output. Its progress (stderr) is passed on line by line.
 */
export async function controlPlaneBinaries(
  options: Pick<StartOptions, 'buildTimeoutMs' | 'progress'> = {},
): Promise<string> {
  const timeoutMs = options.buildTimeoutMs ?? 60 * 60_000;
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const child = spawn('sh', [BUILD_SCRIPT], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) progress(line);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM'); // the script's trap stops `go build` and removes its temp folder
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode));
  }).finally(() => {
    clearTimeout(timer);
    untrackChild(child);
  });
  if (partial !== '') progress(partial);
  if (timedOut) {
    throw new Error(`scripts/control-plane.sh did not finish within ${timeoutMs / 60_000} min; its last output:\n${tail(stderr)}`);
  }
  if (code !== 0) {
    throw new Error(`scripts/control-plane.sh failed (exit ${String(code)}):\n${tail(stderr)}`);
  }
  const dir = stdout.trimEnd().split('\n').pop()?.trim() ?? '';
  for (const binary of ['kube-apiserver', 'etcd', 'kubectl']) {
    if (!existsSync(join(dir, binary))) throw new Error(`scripts/control-plane.sh printed '${dir}', which has no ${binary}`);
  }
  return dir;
}

// --- Certificates -------------------------------------------------------------------------------------------

const generateKeyPairAsync = promisify(generateKeyPair);

interface RsaKeys {
  readonly publicPem: string;
  readonly privatePem: string;
}

/** RSA-2048 by Node's crypto (fast, off the event loop); node-forge only builds the certificates. */
async function rsaKeys(): Promise<RsaKeys> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { publicPem: publicKey, privatePem: privateKey };
}

type Subject = forge.pki.CertificateField[];

interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
}

interface CertificateAuthority extends Issued {
  issue(subject: Subject, keys: RsaKeys, extensions: object[]): Issued;
}

function newCertificate(keys: RsaKeys, subject: Subject, issuer: Subject): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 5 * 60_000);
  cert.validity.notAfter = new Date(now + 7 * 86_400_000);
  cert.setSubject(subject);
  cert.setIssuer(issuer);
  return cert;
}

function certificateAuthority(keys: RsaKeys): CertificateAuthority {
  const subject: Subject = [{ name: 'commonName', value: 'distroless-guard e2e control plane CA' }];
  const ca = newCertificate(keys, subject, subject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const caKey = forge.pki.privateKeyFromPem(keys.privatePem);
  ca.sign(caKey, forge.md.sha256.create());
  const authorityKeyId = ca.generateSubjectKeyIdentifier().getBytes();
  return {
    certPem: forge.pki.certificateToPem(ca),
    keyPem: keys.privatePem,
    issue(leafSubject, leafKeys, extensions) {
      const leaf = newCertificate(leafKeys, leafSubject, subject);
      leaf.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        ...extensions,
        { name: 'subjectKeyIdentifier' },
        { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId },
      ]);
      leaf.sign(caKey, forge.md.sha256.create());
      return { certPem: forge.pki.certificateToPem(leaf), keyPem: leafKeys.privatePem };
    },
  };
}

interface ClusterCertificates {
  readonly ca: Issued;
  readonly serving: Issued;
  readonly admin: Issued;
  readonly controllerManager: Issued;
  readonly serviceAccount: RsaKeys;
}

async function clusterCertificates(): Promise<ClusterCertificates> {
  const [caKeys, servingKeys, adminKeys, kcmKeys, serviceAccount] = await Promise.all([
    rsaKeys(),
    rsaKeys(),
    rsaKeys(),
    rsaKeys(),
    rsaKeys(),
  ]);
  const ca = certificateAuthority(caKeys);
  const dnsNames = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  const serving = ca.issue([{ name: 'commonName', value: 'kube-apiserver' }], servingKeys, [
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...dnsNames.map((value) => ({ type: 2, value })),
        { type: 7, ip: '127.0.0.1' },
        // The `kubernetes` Service's ClusterIP (first of --service-cluster-ip-range): a name only, never dialled here.
        { type: 7, ip: '10.0.0.1' },
      ],
    },
  ]);
  const client = [{ name: 'extKeyUsage', clientAuth: true }];
  const admin = ca.issue(
    [
      { name: 'commonName', value: 'admin' },
      { name: 'organizationName', value: 'system:masters' },
    ],
    adminKeys,
    client,
  );
  // The user the bootstrap RBAC policy grants kube-controller-manager's permissions to.
  const controllerManager = ca.issue([{ name: 'commonName', value: 'system:kube-controller-manager' }], kcmKeys, client);
  return { ca, serving, admin, controllerManager, serviceAccount };
}

function kubeconfig(server: string, caPem: string, user: string, identity: Issued): string {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  // JSON is YAML: kubectl and client-go read it as a kubeconfig.
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
      users: [{ name: user, user: { 'client-certificate-data': b64(identity.certPem), 'client-key-data': b64(identity.keyPem) } }],
      contexts: [{ name: 'e2e', context: { cluster: 'e2e', user } }],
      'current-context': 'e2e',
    },
    null,
    2,
  )}\n`;
}

// --- Processes ----------------------------------------------------------------------------------------------

interface Component {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logPath: string;
  /** Set once the process has exited. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;
}

function startComponent(name: string, binary: string, args: readonly string[], logPath: string): Component {
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, args, { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  trackChild(child);
  const component: Component = {
    name,
    child,
    logPath,
    exit: undefined,
    exited: new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        component.exit = { code, signal };
        untrackChild(child);
        resolve();
      });
      child.once('error', (error) => {
        component.exit = { code: null, signal: null };
        void writeFile(logPath, `spawn failed: ${error.message}\n`, { flag: 'a' }).catch(() => undefined);
        untrackChild(child);
        resolve();
      });
    }),
  };
  return component;
}

/** Whether `promise` settled within `ms` (its timer is cleared either way, so it never holds the process up). */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function stopComponent(component: Component, graceMs = 10_000): Promise<void> {
  if (component.exit !== undefined) return;
  component.child.kill('SIGTERM');
  if (await within(component.exited, graceMs)) return;
  component.child.kill('SIGKILL');
  if (!(await within(component.exited, 5_000))) {
    process.stderr.write(`control-plane: ${component.name} (pid ${String(component.child.pid)}) did not exit after SIGKILL\n`);
  }
}

interface TlsOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Only for loopback health checks of self-signed components (kube-controller-manager's serving cert). */
  readonly insecure?: boolean;
}

function get(url: string, tls: TlsOptions, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      target,
      {
        method: 'GET',
        timeout: timeoutMs,
        ...(target.protocol === 'https:'
          ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.insecure !== true, servername: 'localhost' }
          : {}),
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `url` until it answers 200; fails early, with the end of the component's log, if the component exits. */
async function waitReady(component: Component, url: string, tls: TlsOptions, timeoutMs: number): Promise<number> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (component.exit !== undefined) {
      throw new Error(
        `${component.name} exited (code ${String(component.exit.code)}, signal ${String(component.exit.signal)}) before ${url} was ready; ` +
          `end of ${component.logPath}:\n${logTail(component.logPath)}`,
      );
    }
    try {
      const { status, body } = await get(url, tls, 2_000);
      if (status === 200) return Date.now() - started;
      last = `HTTP ${status}: ${tail(body, 15)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(250);
  }
  throw new Error(
    `${component.name} was not ready at ${url} within ${timeoutMs / 1000} s (last: ${last}); end of ${component.logPath}:\n${logTail(component.logPath)}`,
  );
}

/** Runs `kubectl` (the control plane's own build) with `baseArgs` (its kubeconfig) before `args`. */
export function runKubectl(binary: string, baseArgs: readonly string[], args: readonly string[], options: KubectlOptions = {}): Promise<KubectlResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...baseArgs, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    trackChild(child);
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      untrackChild(child);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      untrackChild(child);
      if (killed) stderr += `\n[kubectl ${args.join(' ')}: killed after ${timeoutMs} ms]\n`;
      resolve({ stdout, stderr, code: killed ? null : code });
    });
    child.stdin.on('error', () => undefined); // kubectl may exit before reading all its input
    child.stdin.end(options.input ?? '');
  });
}

/** Free loopback ports, none twice (the kernel may hand a just-released port out again). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

const CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'job-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'namespace-controller',
  'garbage-collector-controller',
  'root-ca-certificate-publisher-controller',
];

/** Starts etcd, kube-apiserver and (when available) kube-controller-manager; resolves once all are ready. */
export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const t0 = Date.now();
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const binDir = await controlPlaneBinaries(options);
  const binariesMs = Date.now() - t0;
  const withControllerManager = options.controllerManager !== false && existsSync(join(binDir, 'kube-controller-manager'));

  const dir = await mkdtemp(join(tmpdir(), 'distroless-guard-cp-'));
  trackDir(dir);
  const components: Component[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Reverse order: controllers first, etcd last.
    for (const component of [...components].reverse()) await stopComponent(component);
    if (process.env['CONTROL_PLANE_KEEP'] === '1') {
      process.stderr.write(`control-plane: kept ${dir}\n`);
    } else {
      await rm(dir, { recursive: true, force: true });
    }
    untrackDir(dir);
  };

  try {
    const t1 = Date.now();
    const certs = await clusterCertificates();
    const pki = join(dir, 'pki');
    await mkdir(pki, { mode: 0o700 });
    const file = async (name: string, content: string): Promise<string> => {
      const path = join(pki, name);
      await writeFile(path, content, { mode: 0o600 });
      return path;
    };
    const caFile = await file('ca.crt', certs.ca.certPem);
    const servingCert = await file('apiserver.crt', certs.serving.certPem);
    const servingKey = await file('apiserver.key', certs.serving.keyPem);
    const saPub = await file('sa.pub', certs.serviceAccount.publicPem);
    const saKey = await file('sa.key', certs.serviceAccount.privatePem);
    const certificatesMs = Date.now() - t1;

    // etcd
    const t2 = Date.now();
    const [clientPort = 0, peerPort = 0] = await distinctFreePorts(2);
    const etcdUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = startComponent(
      'etcd',
      join(binDir, 'etcd'),
      [
        '--name=e2e',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=e2e=${peerUrl}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      join(dir, 'etcd.log'),
    );
    components.push(etcd);
    await waitReady(etcd, `${etcdUrl}/health`, {}, readyTimeoutMs);
    const etcdMs = Date.now() - t2;

    // kube-apiserver
    const t3 = Date.now();
    const securePort = await freePort();
    const server = `https://127.0.0.1:${securePort}`;
    const apiServerArgs = [
      `--etcd-servers=${etcdUrl}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${servingCert}`,
      `--tls-private-key-file=${servingKey}`,
      `--client-ca-file=${caFile}`,
      `--secure-port=${securePort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      '--endpoint-reconciler-type=none',
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC',
      '--allow-privileged=true',
    ];
    // Without kube-controller-manager nobody creates the `default` ServiceAccount, and the plugin would refuse Pods.
    if (!withControllerManager) apiServerArgs.push('--disable-admission-plugins=ServiceAccount');
    const apiServer = startComponent('kube-apiserver', join(binDir, 'kube-apiserver'), apiServerArgs, join(dir, 'kube-apiserver.log'));
    components.push(apiServer);
    const adminTls: TlsOptions = { ca: certs.ca.certPem, cert: certs.admin.certPem, key: certs.admin.keyPem };
    await waitReady(apiServer, `${server}/readyz`, adminTls, readyTimeoutMs);
    const apiServerMs = Date.now() - t3;

    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig(server, certs.ca.certPem, 'admin', certs.admin), { mode: 0o600 });

    // kube-controller-manager
    const t4 = Date.now();
    if (withControllerManager) {
      const kcmKubeconfig = join(dir, 'kube-controller-manager.kubeconfig');
      await writeFile(kcmKubeconfig, kubeconfig(server, certs.ca.certPem, 'system:kube-controller-manager', certs.controllerManager), {
        mode: 0o600,
      });
      const kcmPort = await freePort();
      const kcm = startComponent(
        'kube-controller-manager',
        join(binDir, 'kube-controller-manager'),
        [
          `--kubeconfig=${kcmKubeconfig}`,
          `--authentication-kubeconfig=${kcmKubeconfig}`,
          `--authorization-kubeconfig=${kcmKubeconfig}`,
          // No --requestheader-client-ca-file on this API server: nothing to look up (and no error per second about it).
          '--authentication-skip-lookup=true',
          '--bind-address=127.0.0.1',
          `--secure-port=${kcmPort}`,
          `--cert-dir=${join(dir, 'kcm-certs')}`,
          `--service-account-private-key-file=${saKey}`,
          `--root-ca-file=${caFile}`,
          `--controllers=${CONTROLLERS.join(',')}`,
          '--leader-elect=false',
          '--use-service-account-credentials=true',
          '--concurrent-deployment-syncs=2',
          '--concurrent-replicaset-syncs=2',
        ],
        join(dir, 'kube-controller-manager.log'),
      );
      components.push(kcm);
      await waitReady(kcm, `https://127.0.0.1:${kcmPort}/healthz`, { insecure: true }, readyTimeoutMs);
    }
    const controllerManagerMs = Date.now() - t4;

    const versionAnswer = await get(`${server}/version`, adminTls, 10_000);
    if (versionAnswer.status !== 200) throw new Error(`GET ${server}/version answered ${versionAnswer.status}: ${versionAnswer.body}`);
    const version = (JSON.parse(versionAnswer.body) as { gitVersion?: unknown }).gitVersion;
    if (typeof version !== 'string') throw new Error(`GET ${server}/version has no gitVersion: ${versionAnswer.body}`);

    const kubectlBinary = join(binDir, 'kubectl');
    const kubectlBase = [`--kubeconfig=${kubeconfigPath}`, `--cache-dir=${join(dir, 'kubectl-cache')}`];
    return {
      kubeconfigPath,
      server,
      caPem: certs.ca.certPem,
      clientCertPem: certs.admin.certPem,
      clientKeyPem: certs.admin.keyPem,
      version,
      binDir,
      dir,
      controllerManager: withControllerManager,
      timings: { binariesMs, certificatesMs, etcdMs, apiServerMs, controllerManagerMs, totalMs: Date.now() - t0 },
      kubectl: (args, kubectlOptions = {}) => runKubectl(kubectlBinary, kubectlBase, args, kubectlOptions),
      get: (path) => get(`${server}${path}`, adminTls, 30_000),
      stop,
    };
  } catch (error) {
    await stop();
    const kept = process.env['CONTROL_PLANE_KEEP'] === '1';
    throw new Error(`${(error as Error).message}\n(${dir} ${kept ? 'kept' : 'removed; CONTROL_PLANE_KEEP=1 keeps it'})`, { cause: error });
  }
}

/** Polls `probe` until it returns a value (not undefined); the error names `what` and the last observation. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; describe?: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) {
      throw new Error(`${what}: not within ${options.timeoutMs / 1000} s${options.describe ? ` (${options.describe()})` : ''}`);
    }
    await sleep(options.intervalMs ?? 500);
  }
}
