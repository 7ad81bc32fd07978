/**
 * Package managers: their executables reachable through the image's PATH. A package database alone
 * (/var/lib/dpkg/status.d/*, /lib/apk/db/installed, /var/lib/rpm) is not a package manager, and neither is a
 * data file named like one (logrotate's /etc/logrotate.d/apt, bash-completion's completions/dpkg).
 */
import { joinPath } from '../layers/paths.js';
import type { Union } from '../layers/union.js';
import { isExecutable } from './executable.js';

export const PACKAGE_MANAGER_NAMES: readonly string[] = [
  'apk',
  'apt',
  'apt-get',
  'brew',
  'conda',
  'dnf',
  'dpkg',
  'emerge',
  'microdnf',
  'nix-env',
  'opkg',
  'pacman',
  'pip',
  'pip3',
  'rpm',
  'yum',
  'zypper',
];

/** Executable base names found, sorted and de-duplicated (apt and apt-get are reported as found, not merged). */
export function findPackageManagers(union: Union, searchPath: readonly string[]): string[] {
  const found = new Set<string>();
  for (const name of PACKAGE_MANAGER_NAMES) {
    if (searchPath.some((dir) => isExecutable(union, joinPath(dir, name)))) found.add(name);
  }
  return [...found].sort();
}
