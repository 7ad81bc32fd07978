import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdmissionDecodeError, decodeAdmissionReview } from '../../../src/admission/decode.js';
import { encodeAdmissionReview } from '../../../src/admission/encode.js';
import type { Verdict } from '../../../src/admission/verdict.js';
import type { WireAdmissionReviewResponse } from '../../../src/admission/wire.js';
import { admissionReview, objectOf, podSpec } from '../../support/reviews.js';

const valid = admissionReview('Pod', objectOf('Pod', 'web', podSpec('nginx')));
const mutated = (change: (r: Record<string, unknown>) => void): string => {
  const copy = structuredClone(valid) as Record<string, unknown>;
  change(copy);
  return JSON.stringify(copy);
};
const request = (r: Record<string, unknown>) => r['request'] as Record<string, unknown>;

describe('decodeAdmissionReview', () => {
  it('reads a Pod CREATE review as the API server sends it', () => {
    const decoded = decodeAdmissionReview(JSON.stringify(valid));
    assert.equal(decoded.uid, 'b4f0c0de-1111-4e2d-9c1a-000000000001');
    assert.deepEqual(decoded.kind, { group: '', version: 'v1', kind: 'Pod' });
    assert.equal(decoded.operation, 'CREATE');
    assert.equal(decoded.namespace, 'default');
    assert.equal(decoded.dryRun, false);
    assert.equal(decoded.subResource, '');
    assert.equal(decoded.oldObject, null);
  });

  const rejected: Array<[string, string, RegExp]> = [
    ['an empty body', '', /empty/],
    ['malformed JSON', '{"apiVersion":', /not valid JSON/],
    ['a JSON array', '[]', /must be a JSON object/],
    ['another kind', mutated((r) => (r['kind'] = 'Pod')), /kind must be "AdmissionReview"/],
    ['the v1beta1 API', mutated((r) => (r['apiVersion'] = 'admission.k8s.io/v1beta1')), /apiVersion "admission.k8s.io\/v1beta1" is not supported/],
    ['no request', mutated((r) => delete r['request']), /request is missing/],
    ['a missing uid', mutated((r) => delete request(r)['uid']), /request.uid is missing/],
    ['an unknown operation', mutated((r) => (request(r)['operation'] = 'PATCH')), /request.operation must be one of/],
    ['a kind that is not an object', mutated((r) => (request(r)['kind'] = 'Pod')), /request.kind must be an object/],
    ['an object that is a string', mutated((r) => (request(r)['object'] = 'x')), /request.object must be an object, got "x"/],
    ['a namespace that is a number', mutated((r) => (request(r)['namespace'] = 3)), /request.namespace must be a string/],
  ];
  for (const [what, body, message] of rejected) {
    it(`rejects ${what} with a message saying what is wrong`, () => {
      assert.throws(() => decodeAdmissionReview(body), (err: unknown) => err instanceof AdmissionDecodeError && message.test(err.message));
    });
  }
});

/** The review as the API server reads it. */
const encoded = (uid: string, verdict: Verdict): WireAdmissionReviewResponse => JSON.parse(encodeAdmissionReview(uid, verdict)) as WireAdmissionReviewResponse;
const patchOf = (review: WireAdmissionReviewResponse): unknown => JSON.parse(Buffer.from(review.response.patch ?? '', 'base64').toString('utf8'));

describe('encodeAdmissionReview', () => {
  it('echoes the uid and says allowed, with nothing else when there is nothing to say', () => {
    assert.deepEqual(encoded('u1', { allowed: true, warnings: [], auditAnnotations: {}, patch: [] }), {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u1', allowed: true },
    });
  });
  it('puts a denial in status with its code and message, and never a patch', () => {
    const review = encoded('u2', {
      allowed: false,
      denial: { code: 403, message: 'no' },
      warnings: ['w'],
      auditAnnotations: { 'default.noShell': 'Enforce' },
      patch: [{ op: 'add', path: '/a', value: 1 }],
    });
    assert.deepEqual(review.response, {
      uid: 'u2',
      allowed: false,
      status: { code: 403, message: 'no' },
      warnings: ['w'],
      auditAnnotations: { 'default.noShell': 'Enforce' },
    });
  });
  it('base64-encodes a patch and always sets patchType beside it', () => {
    const ops = [{ op: 'add' as const, path: '/spec/containers/0/securityContext', value: { runAsNonRoot: true } }];
    const review = encoded('u3', { allowed: true, warnings: [], auditAnnotations: {}, patch: ops });
    assert.equal(review.response.patchType, 'JSONPatch');
    assert.deepEqual(patchOf(review), ops);
  });
  it('cuts a warning longer than 256 characters', () => {
    const { response } = encoded('u4', { allowed: true, warnings: ['x'.repeat(400)], auditAnnotations: {}, patch: [] });
    assert.equal(response.warnings?.[0]?.length, 256);
  });
  it('keeps escapes and non-ASCII intact: quotes in the uid, messages and annotations; UTF-8 in the spliced patch', () => {
    const ops = [
      { op: 'add' as const, path: '/spec/containers/0/securityContext', value: { runAsNonRoot: true } },
      { op: 'add' as const, path: '/spec/initContainers', value: [{ name: 'init', env: [{ name: 'GREETING', value: 'grüß € 😀 "hi"\\' }] }] },
    ];
    const patched = encoded('uid-"1"', {
      allowed: true,
      warnings: ['[distroless-guard] "quoted" ü €'],
      auditAnnotations: { 'p.nonRoot': 'DryRun: "x"' },
      patch: ops,
    });
    assert.deepEqual(
      { ...patched.response, patch: patchOf(patched) },
      {
        uid: 'uid-"1"',
        allowed: true,
        warnings: ['[distroless-guard] "quoted" ü €'],
        auditAnnotations: { 'p.nonRoot': 'DryRun: "x"' },
        patchType: 'JSONPatch',
        patch: ops,
      },
    );
    const denied = encoded('uid-"2"', { allowed: false, denial: { code: 403, message: 'said "no"\n' }, warnings: [], auditAnnotations: {}, patch: ops });
    assert.deepEqual(denied.response, { uid: 'uid-"2"', allowed: false, status: { code: 403, message: 'said "no"\n' } });
  });
});
