/**
 * Registry authentication against the real registry: Docker token auth (anonymous bearer for public repositories,
 * bearer with basic credentials for private ones, token reuse) and htpasswd basic auth. Credentials come the ways
 * the guard gets them: docker config.json and kubernetes.io/dockerconfigjson pull secrets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createImageInspector, InspectError } from '../../src/image/inspector.js';
import { createCredentialLookup, credentialLookupFromSecrets, parseDockerConfig } from '../../src/image/registry/credentials.js';
import { CATALOG, seedImages, type CatalogEntry, type SeededCatalog } from '../support/images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const minute = (): AbortSignal => AbortSignal.timeout(60_000);
const base = CATALOG.find((e) => e.name === 'distroless-static:nonroot');
const latest = CATALOG.find((e) => e.name === 'distroless-static:latest');
if (base === undefined || latest === undefined) throw new Error('catalog lacks distroless-static');
const publicCopy = (e: CatalogEntry): CatalogEntry => ({ ...e, name: `public/${e.name}`, repository: `public/${e.repository}` });

function dockerConfig(host: string, username: string, password: string): string {
  return JSON.stringify({ auths: { [`http://${host}`]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } } });
}

const unauthorized = (secret?: string) => (err: unknown) => {
  assert.ok(err instanceof InspectError, String(err));
  assert.equal(err.code, 'unauthorized', err.message);
  if (secret !== undefined) assert.ok(!err.message.includes(secret) && !String(err.cause).includes(secret), 'the password leaked into the error');
  return true;
};

describe('token auth (Docker token server)', () => {
  let registry: TestRegistry;
  let seeded: SeededCatalog;
  let user: { username: string; password: string };

  before(async () => {
    registry = await startRegistry({ auth: 'token' });
    assert.ok(registry.credentials !== undefined);
    user = registry.credentials;
    seeded = await seedImages({ host: registry.host, credentials: user }, [base, latest, publicCopy(base)]);
  });
  after(async () => registry.stop());

  it('a public repository is read with an anonymous bearer token', async () => {
    const inspector = createImageInspector();
    const before = registry.tokenServer?.requests().length ?? 0;
    const facts = await inspector.inspect(seeded.get(`public/${base.name}`).ref, { signal: minute() });
    assert.equal(facts.distroless, true);
    const asked = registry.tokenServer?.requests().slice(before) ?? [];
    assert.ok(asked.length >= 1 && asked.every((r) => r.account === null && r.status === 200));
  });

  it('a private repository without credentials is unauthorized, saying so', async () => {
    const inspector = createImageInspector();
    await assert.rejects(
      inspector.inspect(seeded.get(base.name).ref, { signal: minute() }),
      (e: unknown) => unauthorized()(e) && /no credentials/.test((e as Error).message),
    );
  });

  it('a private repository is read with docker config.json credentials, and the token is reused', async () => {
    const inspector = createImageInspector({
      credentials: createCredentialLookup(parseDockerConfig(dockerConfig(registry.host, user.username, user.password))),
    });
    const before = registry.tokenServer?.requests().length ?? 0;
    await inspector.inspect(seeded.get(base.name).ref, { signal: minute() });
    await inspector.inspect(seeded.get(latest.name).ref, { signal: minute() });
    const asked = registry.tokenServer?.requests().slice(before) ?? [];
    assert.equal(asked.length, 1, 'one token for the repository scope, reused for the second image');
    assert.equal(asked[0]?.account, user.username);
  });

  it('per-call pull-secret credentials are used when the inspector has none', async () => {
    const inspector = createImageInspector();
    const secret = {
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(dockerConfig(registry.host, user.username, user.password)).toString('base64') },
    };
    const facts = await inspector.inspect(seeded.get(base.name).ref, { signal: minute(), credentials: credentialLookupFromSecrets([secret]) });
    assert.equal(facts.nonRoot, true);
  });

  it('a wrong password is unauthorized and never appears in the error', async () => {
    const wrong = 'not-the-password-123';
    const inspector = createImageInspector({ credentials: () => ({ username: user.username, password: wrong }) });
    await assert.rejects(inspector.inspect(seeded.get(base.name).ref, { signal: minute() }), unauthorized(wrong));
  });
});

describe('token auth without expires_in', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry({ auth: 'token', omitExpiresIn: true });
  });
  after(async () => registry.stop());

  it('works, the token being assumed good for 60 s', async () => {
    assert.ok(registry.credentials !== undefined);
    const seeded = await seedImages({ host: registry.host, credentials: registry.credentials }, [base]);
    const inspector = createImageInspector({ credentials: () => registry.credentials });
    await inspector.inspect(seeded.get(base.name).ref, { signal: minute() });
    const n = registry.tokenServer?.requests().length ?? 0;
    await inspector.inspect(seeded.get(base.name).ref, { signal: minute() });
    assert.equal(registry.tokenServer?.requests().length, n, 'the token was reused within its 60 s');
  });
});

describe('basic auth (htpasswd)', () => {
  let registry: TestRegistry;
  let seeded: SeededCatalog;
  before(async () => {
    registry = await startRegistry({ auth: 'basic' });
    assert.ok(registry.credentials !== undefined);
    seeded = await seedImages({ host: registry.host, credentials: registry.credentials }, [base]);
  });
  after(async () => registry.stop());

  it('is read with credentials', async () => {
    const creds = registry.credentials;
    assert.ok(creds !== undefined);
    const inspector = createImageInspector({
      credentials: createCredentialLookup(parseDockerConfig(dockerConfig(registry.host, creds.username, creds.password))),
    });
    const facts = await inspector.inspect(seeded.get(base.name).ref, { signal: minute() });
    assert.equal(facts.distroless, true);
  });

  it('is unauthorized without', async () => {
    await assert.rejects(createImageInspector().inspect(seeded.get(base.name).ref, { signal: minute() }), unauthorized());
  });

  it('a wrong password is unauthorized and never appears in the error', async () => {
    const wrong = 'wrong-basic-pw-456';
    const creds = registry.credentials;
    assert.ok(creds !== undefined);
    const inspector = createImageInspector({ credentials: () => ({ username: creds.username, password: wrong }) });
    await assert.rejects(inspector.inspect(seeded.get(base.name).ref, { signal: minute() }), unauthorized(wrong));
  });
});
