import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LayerIndex } from '../../../../src/image/layers/types.js';
import { MAX_SYMLINK_HOPS, buildUnion, createUnionBuilder, type Union } from '../../../../src/image/layers/union.js';
import { layerOf } from '../../../support/layer-listing.js';

interface Case {
  readonly name: string;
  /** Top (last applied) first. */
  readonly layers: readonly LayerIndex[];
  /** lstat: "kind@layer", or null when absent. */
  readonly lookups?: Readonly<Record<string, string | null>>;
  /** stat: the resolved path ("path mode" to check the file's mode too), or null when it does not resolve. */
  readonly resolves?: Readonly<Record<string, string | null>>;
}

function check(union: Union, { lookups = {}, resolves = {} }: Case): void {
  for (const [path, expected] of Object.entries(lookups)) {
    const node = union.lookup(path);
    assert.equal(node === undefined ? null : `${node.entry.kind}@${node.layer}`, expected, `lookup ${path}`);
  }
  for (const [path, expected] of Object.entries(resolves)) {
    const resolved = union.resolve(path);
    const withMode = expected?.includes(' ') === true;
    const actual =
      resolved === undefined ? null : withMode ? `${resolved.path} ${resolved.entry.mode.toString(8)}` : resolved.path;
    assert.equal(actual, expected, `resolve ${path}`);
  }
}

function table(title: string, cases: readonly Case[]): void {
  describe(title, () => {
    for (const c of cases) it(c.name, () => check(buildUnion(c.layers), c));
  });
}

table('whiteouts (.wh.<name>)', [
  {
    name: 'a whiteout hides the same path in a lower layer',
    layers: [layerOf(['/etc/.wh.shadow']), layerOf(['/etc/', '/etc/shadow'])],
    lookups: { '/etc/shadow': null, '/etc': 'dir@1' },
  },
  {
    name: 'a whiteout of a directory hides everything beneath it',
    layers: [layerOf(['/usr/.wh.share']), layerOf(['/usr/share/', '/usr/share/doc/bash/README', '/usr/bin/bash 755'])],
    lookups: { '/usr/share': null, '/usr/share/doc/bash/README': null, '/usr/bin/bash': 'file@1' },
  },
  {
    name: 'a whiteout does not hide an entry of its own layer, whatever the tar order',
    layers: [
      layerOf(['/a/.wh.x', '/a/x', '/b/y', '/b/.wh.y']),
      layerOf(['/a/x 755', '/b/y 755']),
    ],
    lookups: { '/a/x': 'file@0', '/b/y': 'file@0' },
  },
  {
    name: 'a whiteout in a middle layer hides lower layers but not higher ones',
    layers: [layerOf(['/a 755']), layerOf(['/.wh.a']), layerOf(['/a/', '/a/old'])],
    lookups: { '/a': 'file@0', '/a/old': null },
  },
  {
    name: 'a directory re-created above a whiteout shows only its new children',
    layers: [layerOf(['/a/', '/a/new']), layerOf(['/.wh.a']), layerOf(['/a/', '/a/old'])],
    lookups: { '/a': 'dir@0', '/a/new': 'file@0', '/a/old': null },
  },
  {
    name: 'a whiteout beside a directory of the same name in its layer empties that directory of lower children',
    layers: [layerOf(['/.wh.a', '/a/', '/a/new']), layerOf(['/a/', '/a/old'])],
    lookups: { '/a': 'dir@0', '/a/new': 'file@0', '/a/old': null },
  },
  {
    name: 'a whiteout of a name that no lower layer has changes nothing',
    layers: [layerOf(['/etc/.wh.nothing']), layerOf(['/etc/passwd'])],
    lookups: { '/etc/passwd': 'file@1', '/etc/nothing': null },
  },
]);

table('opaque directories (.wh..wh..opq)', [
  {
    name: 'an opaque marker before the entries hides lower children but keeps its own layer',
    layers: [layerOf(['/d/', '/d/.wh..wh..opq', '/d/mine']), layerOf(['/d/', '/d/theirs', '/d/sub/deep'])],
    lookups: { '/d': 'dir@0', '/d/mine': 'file@0', '/d/theirs': null, '/d/sub': null, '/d/sub/deep': null },
  },
  {
    name: 'an opaque marker after the entries in tar order hides exactly the same',
    layers: [layerOf(['/d/mine', '/d/sub/own', '/d/.wh..wh..opq', '/d/']), layerOf(['/d/theirs', '/d/sub/deep'])],
    lookups: { '/d/mine': 'file@0', '/d/sub/own': 'file@0', '/d/theirs': null, '/d/sub/deep': null },
  },
  {
    name: 'an opaque marker leaves the siblings of its directory alone',
    layers: [layerOf(['/d/.wh..wh..opq']), layerOf(['/d/x', '/e/x'])],
    lookups: { '/d': 'dir@0', '/d/x': null, '/e/x': 'file@1' },
  },
  {
    name: 'an opaque directory in a middle layer hides only the layers beneath it',
    layers: [layerOf(['/d/top']), layerOf(['/d/.wh..wh..opq', '/d/mid']), layerOf(['/d/low'])],
    lookups: { '/d/top': 'file@0', '/d/mid': 'file@1', '/d/low': null },
  },
  {
    name: 'an opaque root hides every lower layer',
    layers: [layerOf(['/.wh..wh..opq', '/bin/app 755']), layerOf(['/bin/sh 755', '/etc/passwd'])],
    lookups: { '/bin/app': 'file@0', '/bin/sh': null, '/etc/passwd': null },
  },
]);

table('replacing directories, files and links', [
  {
    name: 'a file replacing a directory removes everything beneath it',
    layers: [layerOf(['/opt']), layerOf(['/opt/', '/opt/app/bin/sh 755'])],
    lookups: { '/opt': 'file@0', '/opt/app': null, '/opt/app/bin/sh': null },
    resolves: { '/opt/app/bin/sh': null },
  },
  {
    name: 'a symlink replacing a directory removes everything beneath it',
    layers: [layerOf(['/bin -> usr/bin']), layerOf(['/bin/', '/bin/sh 755', '/usr/bin/dash 755'])],
    lookups: { '/bin': 'symlink@0', '/bin/sh': null },
    resolves: { '/bin/sh': null, '/bin/dash': '/usr/bin/dash' },
  },
  {
    name: 'a directory over a directory merges their children',
    layers: [layerOf(['/usr/bin/', '/usr/bin/a 755']), layerOf(['/usr/bin/', '/usr/bin/b 755'])],
    lookups: { '/usr/bin': 'dir@0', '/usr/bin/a': 'file@0', '/usr/bin/b': 'file@1' },
  },
  {
    name: 'a directory replacing a file hides the file',
    layers: [layerOf(['/x/', '/x/y']), layerOf(['/x 755'])],
    lookups: { '/x': 'dir@0', '/x/y': 'file@0' },
  },
  {
    name: 'a directory replacing a symlinked directory hides the link and what it pointed to',
    layers: [layerOf(['/bin/', '/bin/app 755']), layerOf(['/bin -> usr/bin', '/usr/bin/bash 755'])],
    lookups: { '/bin': 'dir@0' },
    resolves: { '/bin/bash': null, '/bin/app': '/bin/app', '/usr/bin/bash': '/usr/bin/bash' },
  },
  {
    name: 'an entry without its parent directory entry implies the directory, covering a lower symlink',
    layers: [layerOf(['/bin/app 755']), layerOf(['/bin -> usr/bin', '/usr/bin/bash 755'])],
    lookups: { '/bin': 'dir@0', '/bin/app': 'file@0' },
    resolves: { '/bin/app': '/bin/app', '/bin/bash': null },
  },
  {
    name: 'a file in a middle layer hides a deeper subtree even under a higher directory',
    layers: [layerOf(['/a/']), layerOf(['/a']), layerOf(['/a/b'])],
    lookups: { '/a': 'dir@0', '/a/b': null },
  },
  {
    name: 'the last of duplicate entries in one layer wins',
    layers: [layerOf(['/a 755', '/a -> b', '/b 755'])],
    lookups: { '/a': 'symlink@0' },
    resolves: { '/a': '/b' },
  },
]);

table('symlink resolution', [
  {
    name: 'merged-usr: /bin -> usr/bin reaches /usr/bin/sh -> dash',
    layers: [layerOf(['/bin -> usr/bin', '/usr/bin/bash 755', '/usr/bin/sh -> dash', '/usr/bin/dash 755'])],
    resolves: { '/bin/sh': '/usr/bin/dash', '/bin/bash': '/usr/bin/bash', '/bin': '/usr/bin', '/bin/zsh': null },
  },
  {
    name: 'an absolute target is resolved from the root',
    layers: [layerOf(['/etc/alternatives/sh -> /usr/bin/dash', '/usr/bin/dash 755'])],
    resolves: { '/etc/alternatives/sh': '/usr/bin/dash' },
  },
  {
    name: 'a relative target with ../ is resolved from the directory holding the link',
    layers: [layerOf(['/usr/local/bin/sh -> ../../bin/dash', '/usr/bin/dash 755'])],
    resolves: { '/usr/local/bin/sh': '/usr/bin/dash' },
  },
  {
    name: 'a relative target climbing above the root stays at the root',
    layers: [layerOf(['/a -> ../../../usr/bin/dash', '/usr/bin/dash 755'])],
    resolves: { '/a': '/usr/bin/dash' },
  },
  {
    name: 'a chain of links is followed to the end',
    layers: [layerOf(['/a -> b', '/b -> /c', '/c -> usr/d', '/usr/d 755'])],
    resolves: { '/a': '/usr/d' },
  },
  {
    name: '.. after a symlinked directory goes to the parent of its target, as Linux does',
    layers: [layerOf(['/lib -> usr/lib', '/usr/lib/x/', '/usr/lib/os-release'])],
    resolves: { '/lib/x/../os-release': '/usr/lib/os-release', '/lib/./os-release': '/usr/lib/os-release' },
  },
  {
    name: 'a loop resolves to nothing',
    layers: [layerOf(['/a -> b', '/b -> a', '/self -> self', '/dir -> dir/x'])],
    resolves: { '/a': null, '/self': null, '/dir': null },
  },
  {
    name: 'a dangling symlink exists but is not a file',
    layers: [layerOf(['/usr/bin/sh -> dash'])],
    lookups: { '/usr/bin/sh': 'symlink@0' },
    resolves: { '/usr/bin/sh': null },
  },
  {
    name: 'a symlink whose target a higher layer deleted dangles',
    layers: [layerOf(['/usr/bin/.wh.dash']), layerOf(['/usr/bin/sh -> dash', '/usr/bin/dash 755'])],
    resolves: { '/usr/bin/sh': null },
  },
  {
    name: 'a symlink in a higher layer resolves into a lower layer',
    layers: [layerOf(['/bin/sh -> /usr/bin/dash']), layerOf(['/usr/bin/dash 755'])],
    resolves: { '/bin/sh': '/usr/bin/dash 755' },
  },
  {
    name: 'walking through a file fails like ENOTDIR',
    layers: [layerOf(['/f 755', '/l -> f/x'])],
    resolves: { '/l': null, '/f/x': null, '/f/.': null, '/f': '/f' },
  },
  {
    name: 'an empty symlink target resolves to nothing',
    layers: [layerOf(['/empty ->'])],
    resolves: { '/empty': null },
  },
  {
    name: 'the root resolves to itself',
    layers: [layerOf(['/etc/'])],
    resolves: { '/': '/', '/..': '/', '/etc/..': '/' },
  },
]);

describe('symlink hop bound', () => {
  const chain = (length: number): LayerIndex =>
    layerOf([...Array.from({ length }, (_, i) => `/l${i} -> l${i + 1}`), `/l${length} 755`]);
  it(`a chain of ${MAX_SYMLINK_HOPS} links resolves`, () => {
    assert.equal(buildUnion([chain(MAX_SYMLINK_HOPS)]).resolve('/l0')?.path, `/l${MAX_SYMLINK_HOPS}`);
  });
  it(`a chain of ${MAX_SYMLINK_HOPS + 1} links does not (ELOOP)`, () => {
    assert.equal(buildUnion([chain(MAX_SYMLINK_HOPS + 1)]).resolve('/l0'), undefined);
  });
});

table('hard links', [
  {
    name: 'a hard link resolves to its own path with the mode of its target',
    layers: [layerOf(['/bin/busybox 755', '/bin/sh => /bin/busybox 644'])],
    resolves: { '/bin/sh': '/bin/sh 755' },
  },
  {
    name: 'a hard link to a missing target dangles',
    layers: [layerOf(['/bin/sh => /bin/busybox'])],
    lookups: { '/bin/sh': 'hardlink@0' },
    resolves: { '/bin/sh': null },
  },
  {
    name: 'a hard link to a file of a lower layer resolves',
    layers: [layerOf(['/usr/bin/sh => /usr/bin/bash']), layerOf(['/usr/bin/bash 755'])],
    resolves: { '/usr/bin/sh': '/usr/bin/sh 755' },
  },
  {
    name: 'a hard link keeps its file when a higher layer deletes the name it linked to',
    layers: [layerOf(['/bin/.wh.busybox']), layerOf(['/bin/busybox 755', '/bin/sh => /bin/busybox'])],
    resolves: { '/bin/sh': '/bin/sh 755', '/bin/busybox': null },
  },
  {
    name: 'a hard link keeps its file when a higher layer replaces the name it linked to',
    layers: [layerOf(['/bin/[ 644']), layerOf(['/bin/[ 755', '/bin/sh => /bin/['])],
    resolves: { '/bin/sh': '/bin/sh 755', '/bin/[': '/bin/[ 644' },
  },
  {
    name: 'a hard link to a symlink behaves as that symlink',
    layers: [layerOf(['/usr/bin/dash 755', '/bin/sh-link -> ../usr/bin/dash', '/bin/sh => /bin/sh-link'])],
    resolves: { '/bin/sh': '/usr/bin/dash' },
  },
  {
    name: 'a hard link to a directory is not followed',
    layers: [layerOf(['/d/', '/h => /d'])],
    resolves: { '/h': null },
  },
  {
    name: 'a hard link to itself dangles',
    layers: [layerOf(['/h => /h'])],
    resolves: { '/h': null },
  },
]);

describe('readFile', () => {
  it('follows /etc/os-release -> ../usr/lib/os-release into the layer holding the file', () => {
    const union = buildUnion([
      layerOf(['/etc/os-release -> ../usr/lib/os-release']),
      layerOf(['/usr/lib/os-release'], { '/usr/lib/os-release': 'ID=debian\n' }),
    ]);
    assert.equal(union.readFile('/etc/os-release'), 'ID=debian\n');
  });
  it('does not fall through to a lower layer when the top copy was not captured', () => {
    const union = buildUnion([layerOf(['/etc/passwd']), layerOf(['/etc/passwd'], { '/etc/passwd': 'root:x:0:0::/:/bin/sh\n' })]);
    assert.equal(union.readFile('/etc/passwd'), undefined);
  });
  it('returns nothing for a directory or a missing file', () => {
    const union = buildUnion([layerOf(['/etc/passwd/'])]);
    assert.equal(union.readFile('/etc/passwd'), undefined);
    assert.equal(union.readFile('/etc/group'), undefined);
  });
});

describe('folding top-down', () => {
  it('an entry visible after the top layer stays visible as lower layers arrive', () => {
    const builder = createUnionBuilder();
    const view = builder.view();
    builder.addLower(layerOf(['/bin/sh -> /usr/bin/dash', '/etc/.wh.shadow']));
    assert.equal(view.resolve('/bin/sh'), undefined);
    assert.equal(view.layerCount, 1);
    builder.addLower(layerOf(['/usr/bin/dash 755', '/bin/sh 755', '/etc/shadow']));
    assert.equal(view.layerCount, 2);
    assert.equal(view.resolve('/bin/sh')?.path, '/usr/bin/dash');
    assert.equal(view.lookup('/bin/sh')?.layer, 0);
    assert.equal(view.lookup('/etc/shadow'), undefined);
  });
  it('entries() lists visible entries only, implied directories left out', () => {
    const union = buildUnion([layerOf(['/etc/.wh.shadow', '/usr/bin/a 755']), layerOf(['/etc/shadow', '/etc/passwd'])]);
    assert.deepEqual([...union.entries()].map((node) => node.entry.path).sort(), ['/etc/passwd', '/usr/bin/a']);
  });
  it('an empty image has only the root', () => {
    const union = buildUnion([]);
    assert.equal(union.lookup('/')?.entry.kind, 'dir');
    assert.deepEqual([...union.entries()], []);
  });
});
