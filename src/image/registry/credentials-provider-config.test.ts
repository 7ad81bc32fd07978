import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CredentialsError } from './credentials.js';
import { mergeCredentialProviderConfigs, parseCredentialProviderConfig } from './credentials-provider-config.js';

const ECR = `apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: ecr-credential-provider
    matchImages: ["*.dkr.ecr.*.amazonaws.com", "*.dkr.ecr.*.amazonaws.com.cn"]
    defaultCacheDuration: "12h"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    args: [get-credentials]
    env: [{name: AWS_PROFILE, value: nodes}]
`;

/** A config with one provider whose fields are `fields` (YAML flow mapping entries). */
const one = (fields: string): string =>
  `apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n  - {${fields}}\n`;
const OK = 'name: p, matchImages: ["reg.example"], defaultCacheDuration: "5m", apiVersion: credentialprovider.kubelet.k8s.io/v1';

describe('CredentialProviderConfig is read as the kubelet validates it', () => {
  it('an EKS node config gives its provider, durations in ms, args and env', () => {
    assert.deepEqual(parseCredentialProviderConfig(ECR, 'ecr.yaml'), {
      providers: [{
        name: 'ecr-credential-provider', matchImages: ['*.dkr.ecr.*.amazonaws.com', '*.dkr.ecr.*.amazonaws.com.cn'],
        defaultCacheDurationMs: 12 * 3_600_000, apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
        args: ['get-credentials'], env: [{ name: 'AWS_PROFILE', value: 'nodes' }],
      }],
      skipped: [],
    });
  });

  const accepted: Array<[string, string, Record<string, unknown>]> = [
    [
      'JSON is YAML: a .json config reads the same',
      JSON.stringify({
        apiVersion: 'kubelet.config.k8s.io/v1',
        kind: 'CredentialProviderConfig',
        providers: [{ name: 'p', matchImages: ['r.io'], defaultCacheDuration: '0s', apiVersion: 'credentialprovider.kubelet.k8s.io/v1' }],
      }),
      { defaultCacheDurationMs: 0 },
    ],
    ['a Go duration as kubelet writes it', one(OK.replace('"5m"', '"1h30m0s"')), { defaultCacheDurationMs: 5_400_000 }],
    ['the bare "0" duration', one(OK.replace('"5m"', '"0"')), { defaultCacheDurationMs: 0 }],
    [
      'the v1beta1 exec protocol, still accepted',
      one(OK.replace('kubelet.k8s.io/v1', 'kubelet.k8s.io/v1beta1')),
      { apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1' },
    ],
    ['no args and no env', one(OK), { args: [], env: [] }],
    ['a pattern with a port and a path', one(OK.replace('"reg.example"', '"reg.example:5000/team"')), { matchImages: ['reg.example:5000/team'] }],
  ];
  for (const [name, text, want] of accepted) {
    it(`accepts ${name}`, () => {
      const got = parseCredentialProviderConfig(text, 'c.yaml').providers[0] as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(want)) assert.deepEqual(got[key], value, key);
    });
  }

  const refused: Array<[string, string, RegExp]> = [
    ['text that is not YAML', 'providers: [', /c\.yaml is not YAML or JSON/],
    ['another kind', one(OK).replace('CredentialProviderConfig', 'KubeletConfiguration'), /kind is "KubeletConfiguration"/],
    ['another group', one(OK).replace('kubelet.config.k8s.io/v1', 'apps/v1'), /apiVersion "apps\/v1" is not kubelet.config.k8s.io/],
    ['no providers', 'apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders: []\n', /at least one provider/],
    ['a provider without a name', one(OK.replace('name: p, ', '')), /providers\[0\]\.name is required/],
    ['a name with a slash (it would run another file)', one(OK.replace('name: p', 'name: ../bin/sh')), /must be a file name/],
    ['a name with a space', one(OK.replace('name: p', 'name: "a b"')), /must be a file name/],
    ['the name ".."', one(OK.replace('name: p', 'name: ".."')), /must be a file name/],
    [
      'an unknown exec apiVersion',
      one(OK.replace('kubelet.k8s.io/v1', 'kubelet.k8s.io/v2')),
      /apiVersion "credentialprovider.kubelet.k8s.io\/v2" is not one of/,
    ],
    ['no matchImages', one(OK.replace('matchImages: ["reg.example"], ', '')), /matchImages: at least one/],
    ['an empty matchImages', one(OK.replace('["reg.example"]', '[]')), /matchImages: at least one/],
    ['a matchImages entry that names no host', one(OK.replace('"reg.example"', '"/team"')), /"\/team" is not an image pattern/],
    ['a matchImages entry with a space', one(OK.replace('"reg.example"', '"reg example"')), /is not an image pattern/],
    ['no defaultCacheDuration', one(OK.replace(', defaultCacheDuration: "5m"', '')), /defaultCacheDuration is required/],
    ['a defaultCacheDuration without a unit', one(OK.replace('"5m"', '"300"')), /defaultCacheDuration is required: a duration/],
    ['a negative defaultCacheDuration', one(OK.replace('"5m"', '"-1m"')), /defaultCacheDuration is required: a duration/],
    ['args that are not strings', one(`${OK}, args: [1]`), /args must be a list of strings/],
    ['env without a value', one(`${OK}, env: [{name: A}]`), /env\[0\] must be \{name, value\}/],
  ];
  for (const [name, text, message] of refused) {
    it(`refuses ${name}`, () =>
      assert.throws(
        () => parseCredentialProviderConfig(text, 'c.yaml'),
        (err: unknown) => err instanceof CredentialsError && message.test(err.message),
      ));
  }

  it('refuses a name given twice', () => {
    const text = `apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n  - {${OK}}\n  - {${OK}}\n`;
    assert.throws(() => parseCredentialProviderConfig(text, 'c.yaml'), /providers\[1\]\.name "p" is a duplicate/);
  });

  it('leaves out a provider in service-account-token mode, saying why, and keeps the others', () => {
    const text =
      `apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n` +
      `  - {${OK.replace('name: p', 'name: sa')}, tokenAttributes: {serviceAccountTokenAudience: x, requireServiceAccount: true}}\n` +
      `  - {${OK}}\n`;
    const config = parseCredentialProviderConfig(text, 'c.yaml');
    assert.deepEqual(config.providers.map((p) => p.name), ['p']);
    assert.deepEqual(config.skipped.map((s) => s.name), ['sa']);
    assert.match(config.skipped[0]?.reason ?? '', /tokenAttributes/);
  });

  it('merges the files of a config directory, a provider defined twice being an error', () => {
    const a = { source: 'a.yaml', config: parseCredentialProviderConfig(one(OK), 'a.yaml') };
    const b = { source: 'b.yaml', config: parseCredentialProviderConfig(one(OK.replace('name: p', 'name: q')), 'b.yaml') };
    assert.deepEqual(mergeCredentialProviderConfigs([a, b]).providers.map((p) => p.name), ['p', 'q']);
    assert.throws(() => mergeCredentialProviderConfigs([a, { ...a, source: 'c.yaml' }]), /c\.yaml: provider "p" is already defined in a\.yaml/);
  });
});
