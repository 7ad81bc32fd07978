import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatReference,
  ImageReferenceError,
  parseReference,
  registryApiHost,
  type ImageReferenceErrorCode,
} from './reference.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference normalises like docker', () => {
  const cases: Array<[string, string, string]> = [
    ['a bare official image gets docker.io/library and :latest', 'nginx', 'docker.io/library/nginx:latest'],
    ['a user repository on Docker Hub keeps its path', 'user/app', 'docker.io/user/app:latest'],
    ['a tag is kept', 'nginx:1.25-alpine', 'docker.io/library/nginx:1.25-alpine'],
    ['index.docker.io folds into docker.io', 'index.docker.io/library/nginx:1', 'docker.io/library/nginx:1'],
    ['docker.io with a single component gets library/', 'docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['a registry with a port and a nested path', 'registry:5000/a/b:tag', 'registry:5000/a/b:tag'],
    ['localhost is a registry even without a dot or port', 'localhost/x', 'localhost/x:latest'],
    ['a registry with a dot', 'gcr.io/distroless/static-debian12:nonroot', 'gcr.io/distroless/static-debian12:nonroot'],
    ['an IPv4 registry with a port', '127.0.0.1:5001/img', '127.0.0.1:5001/img:latest'],
    ['an IPv6 registry in brackets', '[::1]:5000/img:v1', '[::1]:5000/img:v1'],
    ['a digest alone has no tag', `nginx@${D}`, `docker.io/library/nginx@${D}`],
    ['a tag and a digest are both kept', `nginx:1.25@${D}`, `docker.io/library/nginx:1.25@${D}`],
    ['a port without a tag is not a tag', 'localhost:5000/a/b', 'localhost:5000/a/b:latest'],
    ['separators inside components are allowed', 'a.b/c__d/e-f--g.h_i:t', 'a.b/c__d/e-f--g.h_i:t'],
    ['surrounding whitespace is ignored', '  busybox  ', 'docker.io/library/busybox:latest'],
    ['a bare name with a colon number is a tag, like docker', 'localhost:5000', 'docker.io/library/localhost:5000'],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => assert.equal(formatReference(parseReference(input)), want));
  }

  it('splits the fields', () => {
    assert.deepEqual(parseReference(`registry:5000/a/b:tag@${D}`), {
      registry: 'registry:5000',
      repository: 'a/b',
      tag: 'tag',
      digest: D,
    });
  });
});

describe('parseReference refuses bad references with a typed code', () => {
  const cases: Array<[string, string, ImageReferenceErrorCode]> = [
    ['an empty string', '', 'empty'],
    ['only spaces', '   ', 'empty'],
    ['uppercase in a Docker Hub repository', 'Nginx', 'uppercase'],
    ['uppercase in a path', 'gcr.io/Distroless/static', 'uppercase'],
    ['a tag with a slash after the registry port is a bad name', 'reg:5000/', 'invalid-format'],
    ['a leading separator', '-nginx', 'invalid-format'],
    ['a double slash', 'a//b', 'invalid-format'],
    ['a tag that starts with a dot', 'nginx:.x', 'invalid-tag'],
    ['a tag longer than 128 characters', `nginx:${'x'.repeat(129)}`, 'invalid-tag'],
    ['an empty tag', 'nginx:', 'invalid-tag'],
    ['a short sha256 digest', 'nginx@sha256:abc', 'invalid-digest'],
    ['an uppercase hex digest', `nginx@sha256:${'A'.repeat(64)}`, 'invalid-digest'],
    ['a digest without algorithm', `nginx@${'a'.repeat(64)}`, 'invalid-digest'],
    ['a sha512 digest', `nginx@sha512:${'a'.repeat(128)}`, 'unsupported-digest'],
    ['a bare image id', 'a'.repeat(64), 'ambiguous-id'],
    ['a name over 255 characters', `${'a'.repeat(256)}`, 'name-too-long'],
    ['a registry with an underscore', 'my_reg.io/a', 'invalid-format'],
    ['a registry-only name', 'gcr.io/', 'invalid-format'],
    ['a digest with nothing before it', `@${D}`, 'invalid-format'],
  ];
  for (const [name, input, code] of cases) {
    it(name, () => {
      assert.throws(
        () => parseReference(input),
        (err: unknown) => err instanceof ImageReferenceError && err.code === code && err.message.includes('invalid image reference'),
      );
    });
  }
});

describe('registryApiHost', () => {
  it('sends Docker Hub to registry-1.docker.io', () => assert.equal(registryApiHost('docker.io'), 'registry-1.docker.io'));
  it('leaves other hosts alone', () => assert.equal(registryApiHost('gcr.io'), 'gcr.io'));
});
