import type { TLSSocket } from 'node:tls';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { AdmissionDecodeError, decodeAdmissionReview } from '../admission/decode.js';
import { encodeAdmissionReview } from '../admission/encode.js';
import type { AdmissionRequest } from '../admission/request.js';
import { decisionOf, outcomeLabel } from '../decision/combine-findings.js';
import { createMetrics, METRICS_CONTENT_TYPE, type AdmissionOutcome, type Metrics } from '../observe/metrics.js';
import { createReadiness, describeReadiness, type Readiness } from '../observe/readiness.js';
import { lastResortReview, mutate, validate, type ReviewDependencies, type ReviewResult } from '../review/review.js';
import { WorkloadShapeError } from '../workload/shape.js';
import { budgetForQuery, WorkDeadlines } from './deadline.js';
import { sendJson, sendJsonText } from './respond.js';
import { statusBody } from './status.js';

/** An UPDATE carries two objects of up to ~1.5 MiB each; kubewebhook caps at the same size. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

export type Endpoint = 'validate' | 'mutate';

/** The metric label of a namespace not known to exist (a forged review's, or one not read yet). */
export const OTHER_NAMESPACE = '_other';

export interface AppOptions {
  readonly review: ReviewDependencies;
  readonly logger: Logger;
  /** /readyz: the named checks (default: none, always ready). */
  readonly readiness?: Readiness;
  /** /metrics and the admission counters (default: a registry of its own). */
  readonly metrics?: Metrics;
  /**
   * /validate and /mutate answer 401 unless the connection presented a client certificate the TLS server verified
   * (see https.ts clientCaPem): only kube-apiserver may ask for reviews. /healthz, /readyz and /metrics stay open to
   * kubelet probes and Prometheus. Default false.
   */
  readonly requireClientCertificate?: boolean;
  /**
   * Told of every validating review that denied or found something, after its answer is sent and on a later
   * microtask, so nothing it does delays an admission (serve: Kubernetes Events, src/kube/event-recorder.ts).
   */
  readonly onValidated?: (request: AdmissionRequest, result: ReviewResult) => void;
}

interface AppContext {
  readonly review: ReviewDependencies;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly deadlines: WorkDeadlines;
  readonly onValidated?: (request: AdmissionRequest, result: ReviewResult) => void;
}

const REVIEWERS: Readonly<Record<Endpoint, typeof validate>> = { validate, mutate };

/** The HTTP application: the only place that knows requests and responses. TLS is the caller's (see https.ts). */
export function createApp(options: AppOptions): express.Express {
  const { logger } = options;
  const readiness = options.readiness ?? createReadiness();
  const context: AppContext = {
    review: options.review,
    logger,
    metrics: options.metrics ?? createMetrics({ processMetrics: false }),
    deadlines: new WorkDeadlines(),
    ...(options.onValidated ? { onValidated: options.onValidated } : {}),
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // The webhook's routes first: express tries routes in order, and nearly every request is a review.
  const body = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
  // Checked before the body is read: an unauthenticated peer may not make the server buffer 6 MiB.
  const authenticate = options.requireClientCertificate ? clientCertificateCheck(logger) : passThrough;
  for (const endpoint of ['validate', 'mutate'] as const) {
    app.post(`/${endpoint}`, authenticate, body, (req, res, next) => handleReview(endpoint, req, res, next, context));
    app.all(`/${endpoint}`, (_req, res) => {
      res.status(405).set('Allow', 'POST').json(statusBody(405, `/${endpoint} takes POST with an AdmissionReview`));
    });
  }
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

const passThrough = (_req: Request, _res: Response, next: NextFunction): void => next();

/** 401 unless the TLS server verified the peer's client certificate against the client CA. */
function clientCertificateCheck(logger: Logger): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const socket = req.socket as Partial<TLSSocket>;
    if (socket.authorized === true) return next();
    logger.warn({ path: req.path, remoteAddress: req.socket.remoteAddress, reason: String(socket.authorizationError ?? 'no TLS') }, 'admission request without a valid client certificate');
    // The body is not read: the connection is closed after the answer rather than reused with it unread.
    res.set('Connection', 'close');
    res.status(401).json(statusBody(401, 'admission requests need a client certificate signed by the webhook\'s client CA'));
  };
}

/**
 * Answers one review. A warm review (facts and namespace labels in memory) is decided synchronously and answered
 * at once; one that waits (registry, API server) is answered when it settles or, at the latest, with the
 * failurePolicy's last-resort verdict just before the API server's deadline.
 */
function handleReview(endpoint: Endpoint, req: Request, res: Response, next: NextFunction, context: AppContext): void {
  const started = performance.now();
  const observe = (outcome: AdmissionOutcome): void => context.metrics.observeAdmission(endpoint, outcome, (performance.now() - started) / 1000);
  const { logger } = context;
  let request: AdmissionRequest;
  try {
    request = decodeAdmissionReview(Buffer.isBuffer(req.body) ? req.body : '');
  } catch (err) {
    if (!(err instanceof AdmissionDecodeError)) return fail(err);
    logger.warn({ endpoint, error: err.message }, 'malformed admission review');
    sendJson(res, 400, statusBody(400, err.message));
    return observe('bad-request');
  }

  function fail(err: unknown): void {
    if (err instanceof WorkloadShapeError) {
      logger.warn({ endpoint, uid: request.uid, error: err.message }, 'malformed object in admission review');
      sendJson(res, 400, statusBody(400, err.message));
      return observe('bad-request');
    }
    observe('error');
    next(err);
  }

  const queryAt = req.url.indexOf('?');
  const budget = budgetForQuery(queryAt === -1 ? '' : req.url.slice(queryAt + 1));
  const work = context.deadlines.at(Date.now() + budget.workMs);
  const finish = (result: () => ReviewResult): void => {
    try {
      observe(answer(endpoint, request, result(), res, context, started));
    } catch (err) {
      fail(err);
    }
  };
  // Whichever comes first, the review or the last-resort deadline, answers; the other is ignored.
  let settled = false;
  const settle = (result: () => ReviewResult): void => {
    if (settled) return;
    settled = true;
    clearTimeout(lastResort);
    finish(result);
  };
  const lastResort = setTimeout(() => settle(() => lastResortReview(context.review, budget.timeoutMs)), budget.answerMs);
  REVIEWERS[endpoint](request, context.review, work.signal, work.deadline).then(
    (result) => settle(() => result),
    (err: unknown) =>
      settle(() => {
        throw err;
      }),
  );
}

/** Sends the verdict, logs it and counts its rule outcomes; returns how it ended, for the metrics. */
function answer(endpoint: Endpoint, request: AdmissionRequest, result: ReviewResult, res: Response, context: AppContext, started: number): AdmissionOutcome {
  const { logger } = context;
  const { verdict } = result;
  const decision = decisionOf(verdict);
  const namespace = context.review.namespaces.exists(request.namespace) ? request.namespace : OTHER_NAMESPACE;
  for (const finding of result.findings) {
    context.metrics.ruleDecisions.inc({ policy: finding.policy, rule: finding.rule, action: outcomeLabel(finding), resource_namespace: namespace });
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
  sendJsonText(res, 200, encodeAdmissionReview(request.uid, verdict));
  const { onValidated } = context;
  if (onValidated && endpoint === 'validate' && (!verdict.allowed || result.findings.length > 0)) {
    queueMicrotask(() => {
      try {
        onValidated(request, result);
      } catch (err) {
        logger.error({ err }, 'after the review');
      }
    });
  }
  return decision;
}

function httpErrorOf(err: unknown): { status: number; message: string } {
  const type = typeof err === 'object' && err !== null && 'type' in err ? String(err.type) : '';
  if (type === 'entity.too.large') return { status: 413, message: `request body is larger than ${MAX_BODY_BYTES} bytes` };
  const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : 500;
  if (status >= 400 && status < 500) return { status, message: err instanceof Error ? err.message : 'bad request' };
  return { status: 500, message: 'internal error (logged by the server)' };
}
