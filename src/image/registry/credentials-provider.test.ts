import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CredentialsError } from './credentials.js';
import { cacheKey, parseProviderResponse } from './credentials-provider.js';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const response = (fields: object): string => JSON.stringify({ apiVersion: V1, kind: 'CredentialProviderResponse', cacheKeyType: 'Registry', ...fields });

describe('a CredentialProviderResponse is read as the kubelet reads it', () => {
  it('gives the cache key type, the duration in ms and the auth globs', () => {
    const got = parseProviderResponse(
      response({ cacheDuration: '6h0m0s', auth: { '*.dkr.ecr.*.amazonaws.com': { username: 'AWS', password: 's3cr3t' } } }),
      V1,
      'ecr',
    );
    assert.equal(got.cacheKeyType, 'Registry');
    assert.equal(got.cacheDurationMs, 6 * 3_600_000);
    assert.deepEqual([...got.auth], [['*.dkr.ecr.*.amazonaws.com', { username: 'AWS', password: 's3cr3t' }]]);
  });
  const durations: Array<[string, object, number | undefined]> = [
    ['no cacheDuration: the provider default applies', {}, undefined],
    ['an explicit 0s: not cached', { cacheDuration: '0s' }, 0],
    ['minutes and seconds', { cacheDuration: '1m30s' }, 90_000],
  ];
  for (const [name, fields, ms] of durations) it(name, () => assert.equal(parseProviderResponse(response(fields), V1, 'p').cacheDurationMs, ms));
  it('no auth is an answer with no credentials', () => assert.equal(parseProviderResponse(response({}), V1, 'p').auth.size, 0));

  const refused: Array<[string, string, RegExp]> = [
    ['text that is not JSON', 'Error: no AWS region', /credential provider p did not answer with JSON/],
    ['a JSON array', '[]', /did not answer with a JSON object/],
    [
      'another apiVersion than asked (the kubelet refuses it)',
      response({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1' }),
      /answered apiVersion ".*v1beta1", not .*v1/,
    ],
    ['another kind', response({ kind: 'CredentialProviderRequest' }), /answered kind "CredentialProviderRequest"/],
    ['no cacheKeyType', response({ cacheKeyType: undefined }), /cacheKeyType null, not Image, Registry or Global/],
    ['an unknown cacheKeyType', response({ cacheKeyType: 'Pod' }), /cacheKeyType "Pod"/],
    ['a cacheDuration that is no duration', response({ cacheDuration: 'forever' }), /cacheDuration that is not a duration/],
    ['an auth entry without a password', response({ auth: { 'r.io': { username: 'u' } } }), /auth entry without a username and password/],
    ['an auth that is a list', response({ auth: [] }), /auth that is not an object/],
  ];
  for (const [name, text, message] of refused) {
    it(`refuses ${name}`, () =>
      assert.throws(
        () => parseProviderResponse(text, V1, 'p'),
        (err: unknown) => err instanceof CredentialsError && err.code === 'helper-failed' && message.test(err.message),
      ));
  }
  it('never quotes what the provider printed (it may hold a password)', () => {
    assert.throws(
      () => parseProviderResponse('{"auth": {"r.io": {"username": "u", "password": "hunter2"}}', V1, 'p'),
      (err: unknown) => err instanceof Error && !err.message.includes('hunter2'),
    );
  });
});

describe('cache keys, per cacheKeyType, as the kubelet keys its cache', () => {
  const cases: Array<[string, Parameters<typeof cacheKey>[0], string, string]> = [
    ['Image: the image as asked for', 'Image', 'reg.example:5000/team/app', 'image:reg.example:5000/team/app'],
    ['Registry: the host and port of the image', 'Registry', 'reg.example:5000/team/app', 'registry:reg.example:5000'],
    ['Registry of a Docker Hub image', 'Registry', 'docker.io/library/nginx', 'registry:docker.io'],
    ['Global: one key for every image', 'Global', 'reg.example/app', 'global'],
    ['a registry named "global" is not the global key', 'Registry', 'global/app', 'registry:global'],
  ];
  for (const [name, type, image, key] of cases) it(name, () => assert.equal(cacheKey(type, image), key));
});
