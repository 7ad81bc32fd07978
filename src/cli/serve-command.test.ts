import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MAX_IMAGES } from '../review/review.js';
import { serveCommand } from './serve-command.js';

describe('serve-command', () => {
  it('--max-images-per-review defaults to review.ts DEFAULT_MAX_IMAGES (written out to keep --help light)', () => {
    assert.equal(serveCommand({}).flags['max-images-per-review'].default, String(DEFAULT_MAX_IMAGES));
  });

  it("takes --log-level's default from the Deployment environment; --namespace's is found at start (ownNamespace)", () => {
    const { flags } = serveCommand({ POD_NAMESPACE: 'guard', LOG_LEVEL: 'debug' });
    assert.deepEqual([flags['log-level'].default, 'default' in flags.namespace], ['debug', false]);
  });

  it('documents every flag in --help (an undocumented flag would be hidden)', () => {
    const hidden = Object.entries(serveCommand({}).flags).filter(([, spec]) => !('help' in spec) || spec.help === undefined);
    assert.deepEqual(hidden.map(([name]) => name), []);
  });
});
