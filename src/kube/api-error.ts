/**
 * One line for a failed API call. client-node's ApiException carries the HTTP code and the whole body (a Status
 * document); keep the code and the Status message, never the headers or the body dump.
 */
export function describeKubeError(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number') {
    const body = 'body' in err ? err.body : undefined;
    let message = '';
    if (typeof body === 'string') {
      try {
        const parsed: unknown = JSON.parse(body);
        if (typeof parsed === 'object' && parsed !== null && 'message' in parsed) message = String(parsed.message);
      } catch {
        message = '';
      }
    } else if (typeof body === 'object' && body !== null && 'message' in body) {
      message = String(body.message);
    }
    return `HTTP ${err.code}${message ? `: ${message}` : ''}`;
  }
  return err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
}

/** The HTTP status of a failed API call, when it got that far. */
export function kubeErrorCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number' ? err.code : undefined;
}
