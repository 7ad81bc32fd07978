import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ownNamespace } from './own-namespace.js';

describe('ownNamespace', () => {
  const file = (text: string | undefined) => async () => {
    if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return text;
  };
  const cases: ReadonlyArray<{ name: string; env: Record<string, string>; file: string | undefined; want: string; source: string }> = [
    { name: 'the downward API POD_NAMESPACE wins', env: { POD_NAMESPACE: 'security' }, file: 'other\n', want: 'security', source: 'POD_NAMESPACE' },
    { name: 'no POD_NAMESPACE: the service account namespace file', env: {}, file: 'security\n', want: 'security', source: 'service account' },
    {
      name: 'a POD_NAMESPACE that is no namespace name is ignored',
      env: { POD_NAMESPACE: 'Not A Name' },
      file: 'security',
      want: 'security',
      source: 'service account',
    },
    { name: 'outside a cluster: the default', env: {}, file: undefined, want: 'distroless-guard', source: 'default' },
    { name: 'an empty file: the default', env: { POD_NAMESPACE: '' }, file: '', want: 'distroless-guard', source: 'default' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.deepEqual(await ownNamespace(c.env, file(c.file)), { namespace: c.want, source: c.source });
    });
  }

  it('reads the file kubelet mounts (a real file here)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dg-ns-'));
    try {
      await writeFile(join(dir, 'namespace'), 'security');
      assert.deepEqual(await ownNamespace({}, undefined, join(dir, 'namespace')), { namespace: 'security', source: 'service account' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
