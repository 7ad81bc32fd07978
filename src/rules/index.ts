import type { RuleName } from '../policy/types.js';
import { noDebugContainers } from './no-debug-containers.js';
import { noDebugTag } from './no-debug-tag.js';
import { noPackageManager } from './no-package-manager.js';
import { noPrivilegeEscalation } from './no-privilege-escalation.js';
import { noShell } from './no-shell.js';
import { nonRoot } from './non-root.js';
import type { Rule } from './types.js';

/** Every rule, keyed by the name policies use (the record type makes a missing rule a compile error). */
export const RULES: Readonly<Record<RuleName, Rule>> = {
  noShell,
  noPackageManager,
  nonRoot,
  noPrivilegeEscalation,
  noDebugTag,
  noDebugContainers,
};
