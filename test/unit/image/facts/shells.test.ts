import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findShells, hasSettledShell, shellPaths } from '../../../../src/image/facts/shells.js';
import type { LayerIndex } from '../../../../src/image/layers/types.js';
import { buildUnion, createUnionBuilder } from '../../../../src/image/layers/union.js';
import { layerOf } from '../../../support/layer-listing.js';
import * as samples from '../../../support/sample-images.js';

const shellsOf = (layers: readonly LayerIndex[]): string[] => shellPaths(findShells(buildUnion(layers)));

describe('findShells', () => {
  const cases: ReadonlyArray<{ name: string; layers: readonly LayerIndex[]; shells: readonly string[] }> = [
    {
      name: 'an executable named like a shell is one',
      layers: [layerOf(['/bin/bash 755', '/bin/zsh 700', '/usr/bin/fish 711'])],
      shells: ['/bin/bash', '/bin/zsh', '/usr/bin/fish'],
    },
    {
      name: 'data files named bash and dash are not shells: they have no execute bit',
      layers: [
        layerOf([
          '/usr/share/bash-completion/completions/bash',
          '/usr/share/lintian/overrides/dash',
          '/usr/share/debianutils/shells.d/bash',
          '/etc/skel/.bashrc',
        ]),
      ],
      shells: [],
    },
    {
      name: 'a directory named sh is not a shell',
      layers: [layerOf(['/opt/sh/ 755', '/opt/sh/readme'])],
      shells: [],
    },
    {
      name: 'a symlink to a shell is reported with the shell',
      layers: [layerOf(['/usr/bin/dash 755', '/usr/bin/sh -> dash', '/etc/alternatives/x-shell -> /usr/bin/dash'])],
      shells: ['/etc/alternatives/x-shell', '/usr/bin/dash', '/usr/bin/sh'],
    },
    {
      name: 'a symlink named sh makes the executable it points at a shell, whatever its name',
      layers: [layerOf(['/opt/shell/run 755', '/bin/sh -> /opt/shell/run'])],
      shells: ['/bin/sh', '/opt/shell/run'],
    },
    {
      name: 'a symlink named sh to a non-executable file is not a shell',
      layers: [layerOf(['/opt/shell/run 644', '/bin/sh -> /opt/shell/run'])],
      shells: [],
    },
    {
      name: 'a dangling sh symlink is not a shell',
      layers: [layerOf(['/bin/sh -> dash'])],
      shells: [],
    },
    {
      name: 'merged-usr lists /usr/bin paths once, not again under the /bin symlink',
      layers: [layerOf(['/bin -> usr/bin', '/usr/bin/bash 755', '/usr/bin/sh -> bash'])],
      shells: ['/usr/bin/bash', '/usr/bin/sh'],
    },
    {
      name: 'a busybox binary is a shell; its applet links are not, except those named like shells',
      layers: [layerOf(['/bin/busybox 755', '/bin/sh -> busybox', '/bin/ls -> busybox', '/bin/ash -> /bin/busybox'])],
      shells: ['/bin/ash', '/bin/busybox', '/bin/sh'],
    },
    {
      name: 'a toybox binary is a shell',
      layers: [layerOf(['/system/bin/toybox 755', '/system/bin/sh -> toybox', '/system/bin/cat -> toybox'])],
      shells: ['/system/bin/sh', '/system/bin/toybox'],
    },
    {
      name: 'hard links to busybox are shells by name, and the file is known as busybox through its links',
      layers: [layerOf(['/bin/[ 755', '/bin/busybox => /bin/[', '/bin/sh => /bin/[', '/bin/ls => /bin/['])],
      shells: ['/bin/busybox', '/bin/sh'],
    },
    {
      name: 'a hard link to bash keeps bash executable even with a non-executable link header',
      layers: [layerOf(['/usr/bin/bash 755', '/usr/bin/sh => /usr/bin/bash 644'])],
      shells: ['/usr/bin/bash', '/usr/bin/sh'],
    },
    {
      name: 'a shell deleted by a higher layer is gone',
      layers: [layerOf(['/usr/bin/.wh.bash', '/usr/bin/.wh.sh']), layerOf(['/usr/bin/bash 755', '/usr/bin/sh -> bash'])],
      shells: [],
    },
    {
      name: 'a shell made non-executable by a higher layer is gone',
      layers: [layerOf(['/bin/sh 644']), layerOf(['/bin/sh 755'])],
      shells: [],
    },
    {
      name: 'a shell under a directory replaced by a file in a higher layer is gone',
      layers: [layerOf(['/opt/tools']), layerOf(['/opt/tools/bin/bash 755'])],
      shells: [],
    },
    {
      name: 'a shell hidden by an opaque directory is gone, the layer own shell is not',
      layers: [layerOf(['/opt/.wh..wh..opq', '/opt/zsh 755']), layerOf(['/opt/bash 755'])],
      shells: ['/opt/zsh'],
    },
    {
      name: 'a hard link survives the deletion of the bash name it linked to',
      layers: [layerOf(['/bin/.wh.bash']), layerOf(['/bin/bash 755', '/bin/rescue => /bin/bash'])],
      shells: ['/bin/rescue'],
    },
  ];
  for (const { name, layers, shells } of cases) it(name, () => assert.deepEqual(shellsOf(layers), shells));
});

describe('findShells on real image layouts', () => {
  const cases: ReadonlyArray<{ name: string; image: samples.SampleImage; shells: readonly string[] }> = [
    { name: 'distroless static has none', image: samples.distrolessStaticNonroot, shells: [] },
    {
      name: 'distroless :debug has busybox and its shell applets, not the other applets',
      image: samples.distrolessStaticDebug,
      shells: ['/busybox/ash', '/busybox/busybox', '/busybox/sh'],
    },
    {
      name: 'Debian 12 has bash, dash, rbash and sh in /usr/bin, and not its completion files',
      image: samples.debian12,
      shells: ['/usr/bin/bash', '/usr/bin/dash', '/usr/bin/rbash', '/usr/bin/sh'],
    },
    {
      name: 'the busybox image has its hard-linked shells, not /bin/[',
      image: samples.busybox,
      shells: ['/bin/ash', '/bin/busybox', '/bin/hush', '/bin/sh'],
    },
    { name: 'Chainguard static has none', image: samples.chainguardStatic, shells: [] },
    {
      name: 'a Chainguard -dev variant has busybox and bash',
      image: samples.chainguardDev,
      shells: ['/bin/busybox', '/bin/sh', '/usr/bin/bash'],
    },
    { name: 'Ubuntu chiseled has none', image: samples.ubuntuChiseled, shells: [] },
    { name: 'UBI micro has bash as /usr/bin/sh', image: samples.ubiMicro, shells: ['/usr/bin/bash', '/usr/bin/sh'] },
  ];
  for (const { name, image, shells } of cases) it(name, () => assert.deepEqual(shellsOf(image.layers), shells));

  it('marks busybox shells as multi-call and names the file behind them', () => {
    const found = findShells(buildUnion(samples.distrolessStaticDebug.layers));
    assert.deepEqual(
      found.map((shell) => [shell.path, shell.file, shell.multiCall]),
      [
        ['/busybox/ash', '/busybox/busybox', true],
        ['/busybox/busybox', '/busybox/busybox', true],
        ['/busybox/sh', '/busybox/busybox', true],
      ],
    );
  });
});

describe('hasSettledShell while folding top-down', () => {
  it('the distroless :debug top layer settles "has a shell" before any lower layer is read', () => {
    const builder = createUnionBuilder();
    const [top] = samples.distrolessStaticDebug.layers;
    assert.ok(top);
    builder.addLower(top);
    assert.equal(hasSettledShell(builder.view()), true);
  });

  it('a symlink whose target lies in a layer not yet read does not settle it', () => {
    const builder = createUnionBuilder();
    builder.addLower(layerOf(['/bin/sh -> /usr/bin/dash']));
    assert.equal(hasSettledShell(builder.view()), false);
    builder.addLower(layerOf(['/usr/bin/dash 755']));
    assert.equal(hasSettledShell(builder.view()), true);
  });

  it('a top layer that hides the lower shell never settles it', () => {
    const builder = createUnionBuilder();
    builder.addLower(layerOf(['/usr/bin/.wh.bash']));
    builder.addLower(layerOf(['/usr/bin/bash 755']));
    assert.equal(hasSettledShell(builder.view()), false);
  });

  it('a shell settled on a partial fold is still there once every layer is folded', () => {
    for (const image of Object.values(samples)) {
      if (typeof image !== 'object' || !('layers' in image)) continue;
      const builder = createUnionBuilder();
      const settledAt: string[][] = [];
      for (const layer of image.layers) {
        builder.addLower(layer);
        if (hasSettledShell(builder.view())) settledAt.push(shellPaths(findShells(builder.view())));
      }
      const final = shellPaths(findShells(builder.view()));
      for (const partial of settledAt) assert.ok(partial.some((path) => final.includes(path)));
    }
  });
});
