/**
 * For information beside the floor (BENCH_TEXTBOOK=1): a webhook that answers every review with `allowed: true`,
 * written the way Node webhooks usually are (https.createServer with default settings, express.json() to parse the
 * body, res.json() to answer), where the floor (bench/floor-server.ts) uses the guard's own server, body reader and
 * one-write answer. It shows how much of the floor's speed is the guard's own serving path. Bench-only:
 *   node --import tsx bench/textbook-floor.ts CERT KEY     (prints "listening PORT" on stdout)
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';

const [certPath, keyPath] = process.argv.slice(2);
if (certPath === undefined || keyPath === undefined) {
  console.error('usage: node --import tsx bench/textbook-floor.ts CERT KEY');
  process.exit(2);
}
const app = express();
app.use(express.json({ limit: '6mb' }));
const allow = (req: express.Request, res: express.Response): void => {
  const review = req.body as { request?: { uid?: string } } | undefined;
  res.json({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review?.request?.uid ?? '', allowed: true } });
};
app.post('/validate', allow);
app.post('/mutate', allow);
const server = createServer({ cert: readFileSync(certPath), key: readFileSync(keyPath) }, app);
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
