/**
 * The cost floor of the admission benchmark: the guard's own HTTPS server (src/server/https.ts: same TLS settings,
 * keep-alive and timeouts) and the same express stack, body reader and answer writer (src/server/respond.ts) as
 * src/server/app.ts, answering every review with a constant `allowed: true` (the uid echoed, so it is a valid
 * answer). What is left when the guard's work is taken away: TLS + HTTP + JSON in Node. Bench-only:
 *   node --import tsx bench/floor-server.ts CERT KEY [SPIN_US]     (prints "listening PORT" on stdout)
 * SPIN_US (calibration, BENCH_CALIBRATE): busy-wait that many microseconds before answering, to see what a given
 * amount of work per review costs in throughput on this machine.
 */
import express from 'express';
import { MAX_BODY_BYTES } from '../src/server/app.js';
import { startHttpsServer } from '../src/server/https.js';
import { sendJson } from '../src/server/respond.js';
import { readTlsPair } from '../src/server/tls/pair.js';

const [certPath, keyPath, spinArg] = process.argv.slice(2);
const spinMs = Number(spinArg ?? 0) / 1000;
if (certPath === undefined || keyPath === undefined) {
  console.error('usage: node --import tsx bench/floor-server.ts CERT KEY');
  process.exit(2);
}
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
const body = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
const allow = (req: express.Request, res: express.Response): void => {
  const review = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '{}') as { request?: { uid?: string } };
  if (spinMs > 0) for (const until = performance.now() + spinMs; performance.now() < until; );
  sendJson(res, 200, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request?.uid ?? '', allowed: true } });
};
app.post('/validate', body, allow);
app.post('/mutate', body, allow);
const running = await startHttpsServer(app, await readTlsPair({ certPath, keyPath }), { port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${running.port}\n`);
process.once('SIGTERM', () => void running.close(1_000).then(() => process.exit(0)));
