import type { Writable } from 'node:stream';
import { noInspection } from '../review/facts-source.js';
import { inspectorFacts, type PullCredentials } from '../review/inspector-facts.js';
import { sharedFacts, type SharedFacts } from '../report/shared-facts.js';
import { terminalProgress, type Progress } from './progress.js';
import { registryOptions, warningsTo } from './registry-options.js';

export interface ReportFactsOptions {
  readonly offline: boolean;
  readonly registry: Parameters<typeof registryOptions>[0];
  readonly concurrency: number;
  readonly env: NodeJS.ProcessEnv;
  readonly stderr: Writable;
  readonly signal: AbortSignal;
  readonly pullCredentials?: PullCredentials;
}

/**
 * Image facts for the one-shot commands (check, audit): the webhook's inspector reading every layer, nothing left
 * running in the background, each image inspected once and at most `concurrency` at a time, with a counter on a
 * terminal's stderr. --offline: nothing is inspected (rules that need image facts are not evaluated).
 */
export async function reportFacts(options: ReportFactsOptions): Promise<{ readonly facts: SharedFacts; readonly progress: Progress }> {
  const progress = terminalProgress(options.stderr, 'inspecting images');
  if (options.offline) return { facts: sharedFacts(noInspection, { concurrency: 1 }), progress };
  const logger = warningsTo(options.stderr, 'distroless-guard');
  // The inspector (tar, zlib streams, the registry client) is loaded only when images are inspected: --offline
  // answers without it.
  const { createImageInspector } = await import('../image/inspector.js');
  const inspector = createImageInspector({ ...(await registryOptions(options.registry, options.env, options.signal, { logger })), earlyStop: false, backgroundGraceMs: 0 });
  const facts = sharedFacts(inspectorFacts(inspector, options.pullCredentials), {
    concurrency: options.concurrency,
    perPullCredentials: options.pullCredentials !== undefined,
    onProgress: ({ requested, done }) => progress.update(done, requested),
  });
  return { facts, progress };
}
