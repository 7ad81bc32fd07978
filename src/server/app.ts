import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { AdmissionDecodeError, decodeAdmissionReview } from '../admission/decode.js';
import { encodeAdmissionReview } from '../admission/encode.js';
import type { AdmissionRequest } from '../admission/request.js';
import type { Verdict } from '../admission/verdict.js';
import { WARNING_PREFIX } from '../decision/verdict.js';
import { mutate, validate, type ReviewDependencies, type ReviewResult } from '../review/review.js';
import { WorkloadShapeError } from '../workload/shape.js';
import { budgetFor } from './deadline.js';
import { statusBody } from './status.js';

/** An UPDATE carries two objects of up to ~1.5 MiB each; kubewebhook caps at the same size. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

export type Endpoint = 'validate' | 'mutate';

export interface AppOptions {
  readonly review: ReviewDependencies;
  readonly logger: Logger;
  /** /readyz: the reasons the server is not ready yet (empty when ready). */
  readonly notReadyReasons?: () => readonly string[];
}

const REVIEWERS: Readonly<Record<Endpoint, typeof validate>> = { validate, mutate };

/** The HTTP application: the only place that knows requests and responses. TLS is the caller's (see https.ts). */
export function createApp(options: AppOptions): express.Express {
  const { logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.get('/readyz', (_req, res) => {
    const reasons = options.notReadyReasons?.() ?? [];
    if (reasons.length === 0) res.type('text/plain').send('ok');
    else res.status(503).json(statusBody(503, `not ready: ${reasons.join('; ')}`));
  });

  const body = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
  for (const endpoint of ['validate', 'mutate'] as const) {
    app.post(`/${endpoint}`, body, (req, res) => handleReview(endpoint, req, res, options));
    app.all(`/${endpoint}`, (_req, res) => {
      res.status(405).set('Allow', 'POST').json(statusBody(405, `/${endpoint} takes POST with an AdmissionReview`));
    });
  }
  app.use((req, res) => {
    res.status(404).json(statusBody(404, `no route for ${req.method} ${req.path}`));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { status, message } = httpErrorOf(err);
    if (status >= 500) logger.error({ err }, 'request failed');
    res.status(status).json(statusBody(status, message));
  });
  return app;
}

async function handleReview(endpoint: Endpoint, req: Request, res: Response, options: AppOptions): Promise<void> {
  const started = performance.now();
  const { logger } = options;
  let request: AdmissionRequest;
  try {
    request = decodeAdmissionReview(Buffer.isBuffer(req.body) ? req.body : '');
  } catch (err) {
    if (!(err instanceof AdmissionDecodeError)) throw err;
    logger.warn({ endpoint, error: err.message }, 'malformed admission review');
    res.status(400).json(statusBody(400, err.message));
    return;
  }

  const budget = budgetFor(req.query['timeout']);
  let result: ReviewResult;
  try {
    result = await withinDeadline(REVIEWERS[endpoint](request, options.review, AbortSignal.timeout(budget.workMs)), budget.answerMs, () =>
      lastResortVerdict(options.review, budget.timeoutMs),
    );
  } catch (err) {
    if (!(err instanceof WorkloadShapeError)) throw err;
    logger.warn({ endpoint, uid: request.uid, error: err.message }, 'malformed object in admission review');
    res.status(400).json(statusBody(400, err.message));
    return;
  }

  const { verdict } = result;
  logger.info(
    {
      endpoint,
      uid: request.uid,
      kind: request.kind.kind,
      operation: request.operation,
      subResource: request.subResource || undefined,
      namespace: request.namespace,
      name: request.name || undefined,
      dryRun: request.dryRun,
      decision: verdict.allowed ? (verdict.warnings.length > 0 ? 'allowed-with-warnings' : 'allowed') : 'denied',
      warnings: verdict.warnings.length,
      patchOperations: verdict.patch.length,
      skipped: result.skipped,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    },
    'admission',
  );
  res.json(encodeAdmissionReview(request.uid, verdict));
}

/** Resolves with the review, or with the fallback just before the API server's deadline. */
async function withinDeadline(review: Promise<ReviewResult>, answerMs: number, fallback: () => ReviewResult): Promise<ReviewResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<ReviewResult>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), answerMs);
  });
  try {
    return await Promise.race([review, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A review still running at the deadline is answered by the policies' failurePolicy: one Fail is enough to deny. */
function lastResortVerdict(review: ReviewDependencies, timeoutMs: number): ReviewResult {
  const failing = review.policies().filter((p) => p.failurePolicy === 'Fail');
  const message = `distroless-guard could not decide within the ${timeoutMs / 1000}s webhook timeout`;
  const verdict: Verdict =
    failing.length > 0
      ? { allowed: false, denial: { code: 503, message: `${message} (failurePolicy: Fail in ${failing.map((p) => p.name).join(', ')})` }, warnings: [], auditAnnotations: {}, patch: [] }
      : { allowed: true, warnings: [`${WARNING_PREFIX} ${message}; admitted (failurePolicy: Ignore)`], auditAnnotations: {}, patch: [] };
  return { verdict, skipped: 'deadline', findings: [] };
}

function httpErrorOf(err: unknown): { status: number; message: string } {
  const type = typeof err === 'object' && err !== null && 'type' in err ? String(err.type) : '';
  if (type === 'entity.too.large') return { status: 413, message: `request body is larger than ${MAX_BODY_BYTES} bytes` };
  const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : 500;
  if (status >= 400 && status < 500) return { status, message: err instanceof Error ? err.message : 'bad request' };
  return { status: 500, message: 'internal error (logged by the server)' };
}
