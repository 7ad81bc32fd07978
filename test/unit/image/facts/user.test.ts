import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageUser } from '../../../../src/image/facts/types.js';
import { imageUser, isNonRoot, parseGroup, parsePasswd, resolveUser } from '../../../../src/image/facts/user.js';
import { buildUnion } from '../../../../src/image/layers/union.js';
import * as samples from '../../../support/sample-images.js';

const PASSWD = parsePasswd(
  [
    '# comment line',
    '',
    'root:x:0:0:root:/root:/sbin/nologin',
    'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin',
    'app:x:0:1000:app runs as root:/app:/sbin/nologin',
    'broken line without fields',
    'bad:x:notanumber:1::/:',
    '+nisuser::::::',
    'web:x:1001:1001::/srv:/bin/false',
    'nogid:x:1002',
  ].join('\n'),
);
const GROUPS = parseGroup('root:x:0:\n# c\nstaff:x:50:web,nonroot\nweb:x:1001:\nbroken\nbad:x:nan:\n');

describe('parsePasswd and parseGroup tolerate comments, blank and bad lines', () => {
  it('keeps only well-formed passwd entries', () => {
    assert.deepEqual(
      PASSWD.map((entry) => `${entry.name}:${entry.uid}:${entry.gid}`),
      ['root:0:0', 'nonroot:65532:65532', 'app:0:1000', 'web:1001:1001'],
    );
  });
  it('keeps only well-formed group entries with their members', () => {
    assert.deepEqual(
      GROUPS.map((entry) => [entry.name, entry.gid, entry.members]),
      [['root', 0, []], ['staff', 50, ['web', 'nonroot']], ['web', 1001, []]],
    );
  });
  it('reads CRLF files', () => {
    assert.deepEqual(parsePasswd('root:x:0:0::/root:/bin/sh\r\n').map((entry) => entry.shell), ['/bin/sh']);
  });
});

describe('resolveUser', () => {
  const cases: ReadonlyArray<{ name: string; configured: string; user: Omit<ImageUser, 'configured'>; nonRoot: boolean | null }> = [
    { name: 'an empty User is root', configured: '', user: { uid: 0, gid: 0, name: 'root' }, nonRoot: false },
    { name: 'a name is looked up in passwd', configured: 'nonroot', user: { uid: 65532, gid: 65532, name: 'nonroot' }, nonRoot: true },
    { name: 'a numeric uid takes name and gid from passwd', configured: '65532', user: { uid: 65532, gid: 65532, name: 'nonroot' }, nonRoot: true },
    { name: 'a numeric uid needs no passwd entry and gets gid 0', configured: '4242', user: { uid: 4242, gid: 0, name: null }, nonRoot: true },
    { name: 'uid 0 is root', configured: '0', user: { uid: 0, gid: 0, name: 'root' }, nonRoot: false },
    { name: 'a name not in passwd cannot be resolved', configured: 'ghost', user: { uid: null, gid: null, name: 'ghost' }, nonRoot: null },
    { name: 'a name whose uid is 0 is root whatever it is called', configured: 'app', user: { uid: 0, gid: 1000, name: 'app' }, nonRoot: false },
    { name: 'name:group takes the gid from group', configured: 'web:staff', user: { uid: 1001, gid: 50, name: 'web' }, nonRoot: true },
    { name: 'uid:gid needs neither file', configured: '1234:5678', user: { uid: 1234, gid: 5678, name: null }, nonRoot: true },
    { name: 'name:gid', configured: 'nonroot:0', user: { uid: 65532, gid: 0, name: 'nonroot' }, nonRoot: true },
    { name: 'uid:group', configured: '1001:staff', user: { uid: 1001, gid: 50, name: 'web' }, nonRoot: true },
    { name: 'a group not in /etc/group leaves the gid unknown', configured: '1001:ghosts', user: { uid: 1001, gid: null, name: 'web' }, nonRoot: true },
    { name: 'an empty group part keeps the primary group', configured: 'web:', user: { uid: 1001, gid: 1001, name: 'web' }, nonRoot: true },
    { name: 'a uid beyond 32 bits is a name, and unknown', configured: '99999999999', user: { uid: null, gid: null, name: '99999999999' }, nonRoot: null },
  ];
  for (const { name, configured, user, nonRoot } of cases) {
    it(name, () => {
      const resolved = resolveUser(configured, PASSWD, GROUPS);
      assert.deepEqual(resolved, { configured, ...user });
      assert.equal(isNonRoot(resolved), nonRoot);
    });
  }
  it('without /etc/passwd a name is unknown and a uid still known', () => {
    assert.deepEqual(resolveUser('nonroot', [], []), { configured: 'nonroot', uid: null, gid: null, name: 'nonroot' });
    assert.deepEqual(resolveUser('65532', [], []), { configured: '65532', uid: 65532, gid: 0, name: null });
    assert.deepEqual(resolveUser('', [], []), { configured: '', uid: 0, gid: 0, name: null });
  });
});

describe('imageUser reads passwd and group from the final filesystem', () => {
  const cases: ReadonlyArray<{ name: string; image: samples.SampleImage; user: Omit<ImageUser, 'configured'> }> = [
    { name: 'distroless nonroot: "65532"', image: samples.distrolessStaticNonroot, user: { uid: 65532, gid: 65532, name: 'nonroot' } },
    { name: 'distroless :latest: "0"', image: samples.distrolessStaticRoot, user: { uid: 0, gid: 0, name: 'root' } },
    { name: 'Ubuntu chiseled: "app" is uid 1654', image: samples.ubuntuChiseled, user: { uid: 1654, gid: 1654, name: 'app' } },
    { name: 'Chainguard: "65532"', image: samples.chainguardStatic, user: { uid: 65532, gid: 65532, name: 'nonroot' } },
    { name: 'UBI micro: unset is root', image: samples.ubiMicro, user: { uid: 0, gid: 0, name: 'root' } },
  ];
  for (const { name, image, user } of cases) {
    it(name, () => {
      const configured = image.config.config?.User ?? '';
      assert.deepEqual(imageUser(configured, buildUnion(image.layers)), { configured, ...user });
    });
  }
});
