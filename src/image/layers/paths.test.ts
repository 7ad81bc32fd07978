import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ancestors, basename, dirname, joinPath, normalisePath, whiteoutOf, type WhiteoutMarker } from './paths.js';

describe('normalisePath', () => {
  const cases: ReadonlyArray<[string, string, string]> = [
    ['a ./ prefix is dropped', './usr/bin/sh', '/usr/bin/sh'],
    ['a relative name becomes absolute', 'usr/bin/sh', '/usr/bin/sh'],
    ['an absolute name stays', '/usr/bin/sh', '/usr/bin/sh'],
    ['a trailing slash is dropped', './usr/bin/', '/usr/bin'],
    ['doubled slashes collapse', 'usr//bin///sh', '/usr/bin/sh'],
    ['. components vanish', './usr/./bin/.', '/usr/bin'],
    ['.. climbs one level', 'usr/lib/../bin/sh', '/usr/bin/sh'],
    ['.. never escapes the root', '../../etc/passwd', '/etc/passwd'],
    ['.. in the middle cannot escape either', 'a/../../../etc/shadow', '/etc/shadow'],
    ['the root entry ./ is the root', './', '/'],
    ['an empty name is the root', '', '/'],
  ];
  for (const [name, input, output] of cases) it(name, () => assert.equal(normalisePath(input), output));
});

describe('dirname, basename, joinPath, ancestors', () => {
  it('split and join normalised paths', () => {
    assert.equal(dirname('/usr/bin/sh'), '/usr/bin');
    assert.equal(dirname('/usr'), '/');
    assert.equal(dirname('/'), '/');
    assert.equal(basename('/usr/bin/sh'), 'sh');
    assert.equal(basename('/'), '');
    assert.equal(joinPath('/', 'bin'), '/bin');
    assert.equal(joinPath('/usr', 'bin'), '/usr/bin');
  });
  it('ancestors are listed nearest first without the root', () => {
    assert.deepEqual([...ancestors('/a/b/c')], ['/a/b', '/a']);
    assert.deepEqual([...ancestors('/a')], []);
    assert.deepEqual([...ancestors('/')], []);
  });
});

describe('whiteoutOf', () => {
  const cases: ReadonlyArray<[string, string, WhiteoutMarker | null]> = [
    ['an ordinary file is no marker', '/etc/passwd', null],
    ['.wh.<name> deletes <name> beside it', '/etc/.wh.shadow', { kind: 'whiteout', path: '/etc/shadow' }],
    ['a whiteout at the root', '/.wh.opt', { kind: 'whiteout', path: '/opt' }],
    ['.wh..wh..opq makes its directory opaque', '/usr/share/.wh..wh..opq', { kind: 'opaque', dir: '/usr/share' }],
    ['an opaque root', '/.wh..wh..opq', { kind: 'opaque', dir: '/' }],
    ['AUFS metadata is ignored', '/.wh..wh.plnk', { kind: 'ignored' }],
    ['a whiteout of .. is ignored', '/usr/.wh...', { kind: 'ignored' }],
    ['a bare .wh. is ignored', '/usr/.wh.', { kind: 'ignored' }],
    ['a name merely containing .wh. is no marker', '/usr/x.wh.y', null],
  ];
  for (const [name, path, marker] of cases) it(name, () => assert.deepEqual(whiteoutOf(path), marker));
});
