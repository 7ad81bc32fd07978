/** A Kubernetes-style Status body for HTTP errors: there is no request uid to echo when a review cannot be read. */
export interface StatusBody {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly status: 'Failure';
  readonly code: number;
  readonly reason: string;
  readonly message: string;
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  413: 'RequestEntityTooLarge',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export function statusBody(code: number, message: string): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason: REASONS[code] ?? 'Unknown', message };
}
