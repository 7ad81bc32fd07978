import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CredentialsError } from './credentials.js';
import { parseHelperAnswer } from './credentials-helper.js';

describe("a docker credential helper's answer", () => {
  const answers: Array<[string, string, { username: string; password: string } | undefined]> = [
    ['a user and a secret', '{"ServerURL":"gcr.io","Username":"oauth2accesstoken","Secret":"ya29.x"}', { username: 'oauth2accesstoken', password: 'ya29.x' }],
    ['"<token>" as the user: the secret is an identity token', '{"Username":"<token>","Secret":"refresh"}', { username: '<token>', password: 'refresh' }],
    ['an empty user and secret: nothing for this server', '{"ServerURL":"r.io","Username":"","Secret":""}', undefined],
  ];
  for (const [name, text, want] of answers) it(name, () => assert.deepEqual(parseHelperAnswer(text, 'docker-credential-x'), want));

  const refused: Array<[string, string, RegExp]> = [
    ['garbage', 'ok then', /docker-credential-x did not answer with JSON/],
    ['a JSON string', '"secret"', /did not answer with a JSON object/],
    ['no Secret', '{"Username":"u"}', /without a Username and a Secret/],
    ['lower-case keys (not the protocol)', '{"username":"u","secret":"s"}', /without a Username and a Secret/],
  ];
  for (const [name, text, message] of refused) {
    it(`refuses ${name}, naming the helper`, () =>
      assert.throws(
        () => parseHelperAnswer(text, 'docker-credential-x'),
        (err: unknown) => err instanceof CredentialsError && err.code === 'helper-failed' && message.test(err.message),
      ));
  }
  it('never quotes a malformed answer (it may hold the secret)', () => {
    assert.throws(
      () => parseHelperAnswer('{"Username":"u","Secret":"hunter2"', 'docker-credential-x'),
      (err: unknown) => err instanceof Error && !err.message.includes('hunter2'),
    );
  });
});
