import type { AdmissionRequest } from './request.js';
import { isJsonObject, type JsonObject } from '../shared/records.js';
import { ADMISSION_API_VERSION, type GroupVersionKind, type GroupVersionResource, type Operation, type UserInfo } from './wire.js';

/** A review that cannot be answered: the server replies HTTP 400 with this message (there is no uid to echo). */
export class AdmissionDecodeError extends Error {
  override readonly name = 'AdmissionDecodeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/** Parses a raw request body into an AdmissionRequest, or throws AdmissionDecodeError saying what is wrong. */
export function decodeAdmissionReview(body: Buffer | string): AdmissionRequest {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (/^\s*$/.test(text)) throw new AdmissionDecodeError('request body is empty: expected an AdmissionReview');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new AdmissionDecodeError(`request body is not valid JSON: ${detail}`, { cause: err });
  }
  if (!isJsonObject(parsed)) throw new AdmissionDecodeError('request body must be a JSON object (an AdmissionReview)');
  if (parsed['kind'] !== 'AdmissionReview') {
    throw new AdmissionDecodeError(`kind must be "AdmissionReview", got ${describe(parsed['kind'])}`);
  }
  if (parsed['apiVersion'] !== ADMISSION_API_VERSION) {
    throw new AdmissionDecodeError(
      `apiVersion ${describe(parsed['apiVersion'])} is not supported: only ${ADMISSION_API_VERSION} ` +
        '(set admissionReviewVersions: [v1] in the webhook configuration)',
    );
  }
  const request = parsed['request'];
  if (!isJsonObject(request)) throw new AdmissionDecodeError('request is missing or not an object');
  return decodeRequest(request);
}

function decodeRequest(r: JsonObject): AdmissionRequest {
  const uid = r['uid'];
  if (typeof uid !== 'string' || uid === '') throw new AdmissionDecodeError('request.uid is missing: it must be echoed in the response');
  const operation = r['operation'];
  if (typeof operation !== 'string' || !OPERATIONS.includes(operation as Operation)) {
    throw new AdmissionDecodeError(`request.operation must be one of ${OPERATIONS.join(', ')}, got ${describe(operation)}`);
  }
  return {
    uid,
    kind: decodeGvk(r['kind']),
    resource: decodeGvr(r['resource']),
    subResource: optionalString(r, 'subResource'),
    operation: operation as Operation,
    namespace: optionalString(r, 'namespace'),
    name: optionalString(r, 'name'),
    object: optionalObject(r, 'object'),
    oldObject: optionalObject(r, 'oldObject'),
    dryRun: r['dryRun'] === true,
    userInfo: decodeUserInfo(r['userInfo']),
  };
}

function decodeGvk(value: unknown): GroupVersionKind {
  if (!isJsonObject(value) || typeof value['kind'] !== 'string' || typeof value['version'] !== 'string') {
    throw new AdmissionDecodeError('request.kind must be an object with group, version and kind');
  }
  return { group: typeof value['group'] === 'string' ? value['group'] : '', version: value['version'], kind: value['kind'] };
}

function decodeGvr(value: unknown): GroupVersionResource {
  if (!isJsonObject(value) || typeof value['resource'] !== 'string' || typeof value['version'] !== 'string') {
    throw new AdmissionDecodeError('request.resource must be an object with group, version and resource');
  }
  return { group: typeof value['group'] === 'string' ? value['group'] : '', version: value['version'], resource: value['resource'] };
}

function decodeUserInfo(value: unknown): UserInfo {
  if (!isJsonObject(value)) return {};
  const groups = Array.isArray(value['groups']) ? value['groups'].filter((g): g is string => typeof g === 'string') : undefined;
  return {
    ...(typeof value['username'] === 'string' ? { username: value['username'] } : {}),
    ...(typeof value['uid'] === 'string' ? { uid: value['uid'] } : {}),
    ...(groups ? { groups } : {}),
  };
}

function optionalString(r: JsonObject, key: string): string {
  const value = r[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new AdmissionDecodeError(`request.${key} must be a string, got ${describe(value)}`);
  return value;
}

function optionalObject(r: JsonObject, key: string): JsonObject | null {
  const value = r[key];
  if (value === undefined || value === null) return null;
  if (!isJsonObject(value)) throw new AdmissionDecodeError(`request.${key} must be an object, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
