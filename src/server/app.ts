import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { AdmissionDecodeError, decodeAdmissionReview } from '../admission/decode.js';
import { encodeAdmissionReview } from '../admission/encode.js';
import type { AdmissionRequest } from '../admission/request.js';
import type { Verdict } from '../admission/verdict.js';
import { outcomeLabel, WARNING_PREFIX } from '../decision/verdict.js';
import { createMetrics, METRICS_CONTENT_TYPE, type AdmissionOutcome, type Metrics } from '../observe/metrics.js';
import { createReadiness, describeReadiness, type Readiness } from '../observe/readiness.js';
import { mutate, validate, type ReviewDependencies, type ReviewResult } from '../review/review.js';
import { WorkloadShapeError } from '../workload/shape.js';
import { budgetForQuery } from './deadline.js';
import { statusBody } from './status.js';

/** An UPDATE carries two objects of up to ~1.5 MiB each; kubewebhook caps at the same size. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

export type Endpoint = 'validate' | 'mutate';

export interface AppOptions {
  readonly review: ReviewDependencies;
  readonly logger: Logger;
  /** /readyz: the named checks (default: none, always ready). */
  readonly readiness?: Readiness;
  /** /metrics and the admission counters (default: a registry of its own). */
  readonly metrics?: Metrics;
}

interface AppContext {
  readonly review: ReviewDependencies;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

const REVIEWERS: Readonly<Record<Endpoint, typeof validate>> = { validate, mutate };

/** The HTTP application: the only place that knows requests and responses. TLS is the caller's (see https.ts). */
export function createApp(options: AppOptions): express.Express {
  const { logger } = options;
  const readiness = options.readiness ?? createReadiness();
  const context: AppContext = { review: options.review, logger, metrics: options.metrics ?? createMetrics({ processMetrics: false }) };
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.get('/readyz', (_req, res) => {
    const states = readiness.states();
    res
      .status(states.every((s) => s.ok) ? 200 : 503)
      .type('text/plain')
      .send(describeReadiness(states));
  });
  app.get('/metrics', async (_req, res, next) => {
    try {
      const text = await context.metrics.render();
      res.type(METRICS_CONTENT_TYPE).send(text);
    } catch (err) {
      next(err);
    }
  });

  const body = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
  for (const endpoint of ['validate', 'mutate'] as const) {
    app.post(`/${endpoint}`, body, (req, res) => handleReview(endpoint, req, res, context));
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

async function handleReview(endpoint: Endpoint, req: Request, res: Response, options: AppContext): Promise<void> {
  const started = performance.now();
  let outcome: AdmissionOutcome = 'error';
  try {
    outcome = await answerReview(endpoint, req, res, options, started);
  } finally {
    options.metrics.observeAdmission(endpoint, outcome, (performance.now() - started) / 1000);
  }
}

/** Answers one review; returns how it ended, for the metrics. */
async function answerReview(endpoint: Endpoint, req: Request, res: Response, options: AppContext, started: number): Promise<AdmissionOutcome> {
  const { logger } = options;
  let request: AdmissionRequest;
  try {
    request = decodeAdmissionReview(Buffer.isBuffer(req.body) ? req.body : '');
  } catch (err) {
    if (!(err instanceof AdmissionDecodeError)) throw err;
    logger.warn({ endpoint, error: err.message }, 'malformed admission review');
    res.status(400).json(statusBody(400, err.message));
    return 'bad-request';
  }

  const queryAt = req.url.indexOf('?');
  const budget = budgetForQuery(queryAt === -1 ? '' : req.url.slice(queryAt + 1));
  // A timer cleared as soon as the review is done, not AbortSignal.timeout: that one fires for every review, long
  // after it was answered (building a TimeoutError with its stack each time), and keeps the review's state alive.
  const work = new AbortController();
  const workTimer = setTimeout(() => work.abort(new DOMException('the admission work budget ran out', 'TimeoutError')), budget.workMs);
  let result: ReviewResult;
  try {
    result = await withinDeadline(REVIEWERS[endpoint](request, options.review, work.signal, Date.now() + budget.workMs), budget.answerMs, () =>
      lastResortVerdict(options.review, budget.timeoutMs),
    );
  } catch (err) {
    if (!(err instanceof WorkloadShapeError)) throw err;
    logger.warn({ endpoint, uid: request.uid, error: err.message }, 'malformed object in admission review');
    res.status(400).json(statusBody(400, err.message));
    return 'bad-request';
  } finally {
    clearTimeout(workTimer);
  }

  const { verdict } = result;
  const decision = decisionOf(verdict);
  for (const finding of result.findings) {
    options.metrics.ruleDecisions.inc({ policy: finding.policy, rule: finding.rule, action: outcomeLabel(finding), namespace: request.namespace });
  }
  // A plain allow (no warning, no finding; patched or not) is the bulk of the traffic and says nothing an operator
  // acts on: debug, as Gatekeeper and Kyverno keep theirs. Everything else is info.
  const level = decision === 'allowed' && result.findings.length === 0 ? 'debug' : 'info';
  if (logger.isLevelEnabled(level)) {
    logger[level](
      {
        endpoint,
        uid: request.uid,
        kind: request.kind.kind,
        operation: request.operation,
        subResource: request.subResource || undefined,
        namespace: request.namespace,
        name: request.name || undefined,
        dryRun: request.dryRun,
        decision,
        warnings: verdict.warnings.length,
        patchOperations: verdict.patch.length,
        skipped: result.skipped,
        findings: result.findings.length > 0 ? result.findings.map((f) => `${f.policy}/${f.rule} ${outcomeLabel(f)} ${f.container.name}`) : undefined,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      },
      'admission',
    );
  }
  res.json(encodeAdmissionReview(request.uid, verdict));
  return decision;
}

/** The decision label of logs and metrics alike. */
export function decisionOf(verdict: Verdict): 'allowed' | 'allowed-with-warnings' | 'denied' {
  if (!verdict.allowed) return 'denied';
  return verdict.warnings.length > 0 ? 'allowed-with-warnings' : 'allowed';
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
