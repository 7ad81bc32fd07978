/**
 * `audit --format html` opened in headless Chromium (Debian's chromium, installed by scripts/test-deps.sh) with every
 * connection sent to a local proxy that records and drops them: the page must render (the screenshot, kept in
 * test-artifacts/, shows the chart's colours) without a single request of its own.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { main } from '../../src/cli/main.js';
import { CHART_COLOURS } from '../../src/report/render-audit-html.js';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';
import { declareCollections, populateCluster } from '../support/fake-cluster.js';

const run = promisify(execFile);
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const HTML = join(ARTIFACTS, 'audit-report.html');
const SCREENSHOT = join(ARTIFACTS, 'audit-report.png');
const WINDOW = { width: 1200, height: 900 };
const CHROMIUM = '/usr/bin/chromium';

/** Judged offline: only rules that need no image facts, so the page shows denied, compliant and uncovered workloads. */
const POLICY = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: prod-debug}
spec:
  mode: DryRun
  match: {namespaces: ["shop", "dev"]}
  production: {namespaces: ["shop"]}
  rules:
    noShell: {action: Disabled}
    noPackageManager: {action: Disabled}
    nonRoot: {action: Disabled}
    noPrivilegeEscalation: {action: Disabled}
`;

let api: FakeKubeApi;
let dir: string;
/** A TCP listener posing as Chromium's proxy: every connection the browser makes lands here and is recorded. */
let proxy: Server;
const connections: string[] = [];

/**
 * What Chromium asks for by itself whatever the page (component and extension updates, network time, account
 * cookies), even with --disable-background-networking: measured with this Debian build on about:blank too. Exact
 * hosts, so a font or script CDN (fonts.googleapis.com, …) the page might name is not excused.
 */
const BROWSER_OWN =
  /^(update\.googleapis\.com|accounts\.google\.com|clients\d*\.google\.com|redirector\.gvt1\.com|[a-z0-9-]+\.gvt1\.com|optimizationguide-pa\.googleapis\.com)$/;
const hostOf = (requestLine: string): string => {
  const target = requestLine.split(' ')[1] ?? '';
  return target.startsWith('http') ? new URL(target).hostname : (target.split(':')[0] ?? target);
};

before(async () => {
  api = await startFakeKubeApi();
  declareCollections(api);
  const digest = `sha256:${'0'.repeat(64)}`;
  populateCluster(api, {
    debian: { ref: 'registry.example.com/shop/web:2.1-debug', digest },
    distroless: { ref: 'gcr.io/distroless/static-debian12:nonroot', digest },
    debug: { ref: 'gcr.io/distroless/static-debian12:debug', digest },
  });
  dir = await mkdtemp(join(tmpdir(), 'dg-audit-html-'));
  await writeFile(join(dir, 'kubeconfig'), api.kubeconfig());
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  await mkdir(ARTIFACTS, { recursive: true });
  proxy = createServer((socket) => {
    socket.once('data', (chunk: Buffer) => connections.push(chunk.toString('latin1').split('\r\n')[0] ?? ''));
    socket.on('error', () => undefined);
    setTimeout(() => socket.destroy(), 50);
  });
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
});

after(async () => {
  await Promise.all([api.close(), rm(dir, { recursive: true, force: true }), new Promise((done) => proxy.close(done))]);
});

describe('audit --format html in a browser', () => {
  it('writes a self-contained page: no script, no external URL', async () => {
    let stderr = '';
    const code = await main(
      ['audit', '--kubeconfig', join(dir, 'kubeconfig'), '--policy', join(dir, 'policy.yaml'), '--offline', '--format', 'html', '-o', HTML],
      {
        stdout: new Writable({ write: (_c, _e, done) => done() }),
        stderr: new Writable({
          write(chunk: Buffer, _e, done) {
            stderr += chunk.toString();
            done();
          },
        }),
        env: { HOME: '/nonexistent' },
        cwd: dir,
      },
    );
    assert.equal(code, 0, stderr);
    const page = await readFile(HTML, 'utf8');
    assert.match(page, /^<!DOCTYPE html>/);
    assert.doesNotMatch(page, /https?:|\/\/[a-z0-9.-]+\.[a-z]{2,}\/|<script|<link|<img|<iframe|@import|url\(|src=|href=/i);
    assert.match(page, /<svg class="chart"/);
    assert.match(page, /Deployment\/web/);
    assert.match(page, /1 would be denied, 2 compliant/);
  });

  it('renders in headless Chromium without any network access; the screenshot shows the chart', async () => {
    const profile = await mkdtemp(join(tmpdir(), 'dg-chromium-'));
    try {
      const port = (proxy.address() as { port: number }).port;
      await run(
        CHROMIUM,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          `--user-data-dir=${profile}`,
          `--proxy-server=127.0.0.1:${port}`,
          '--proxy-bypass-list=<-loopback>',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-extensions',
          '--no-first-run',
          `--window-size=${WINDOW.width},${WINDOW.height}`,
          `--screenshot=${SCREENSHOT}`,
          `file://${HTML}`,
        ],
        { timeout: 120_000 },
      );
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
    const fromPage = connections.filter((c) => !BROWSER_OWN.test(hostOf(c)));
    assert.deepEqual(fromPage, [], 'the page made no network request (the browser\'s own, all dropped by the proxy, aside)');

    const png = PNG.sync.read(await readFile(SCREENSHOT));
    assert.deepEqual({ width: png.width, height: png.height }, WINDOW);
    const colours = new Map<string, number>();
    for (let i = 0; i < png.data.length; i += 4) {
      const hex = `#${[png.data[i], png.data[i + 1], png.data[i + 2]].map((v) => (v ?? 0).toString(16).padStart(2, '0')).join('')}`;
      colours.set(hex, (colours.get(hex) ?? 0) + 1);
    }
    assert.ok(colours.size > 50, `not a blank page: ${colours.size} colours`);
    for (const [what, colour] of Object.entries(CHART_COLOURS)) {
      assert.ok((colours.get(colour) ?? 0) > 500, `the chart's ${what} bars are drawn (${colour}: ${colours.get(colour) ?? 0} pixels)`);
    }
  });
});
