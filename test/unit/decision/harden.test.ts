import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1PodSpec } from '@kubernetes/client-node';
import { apply_patch } from 'jsonpatch';
import { decodeAdmissionReview } from '../../../src/admission/decode.js';
import { planHardening, securityContextOperations } from '../../../src/decision/harden.js';
import { podTargetOf } from '../../../src/workload/targets.js';
import { kubernetesErrors } from '../../support/kube-validation.js';
import { admissionReview, objectOf, type PodSpecInput } from '../../support/reviews.js';

const HARDENED = { runAsNonRoot: true, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } };

interface Case {
  readonly name: string;
  readonly spec: PodSpecInput;
  readonly kind?: 'Pod' | 'Deployment' | 'CronJob';
  readonly ops: unknown[];
  readonly conflicts?: string[];
}

const app = (securityContext?: object) => ({ name: 'app', image: 'gcr.io/distroless/static:nonroot', ...(securityContext ? { securityContext } : {}) });

const CASES: Case[] = [
  {
    name: 'a container without securityContext gets the whole hardened object in one add',
    spec: { containers: [app()] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: HARDENED }],
  },
  {
    name: 'an existing empty securityContext gets each field added',
    spec: { containers: [app({})] },
    ops: [
      { op: 'add', path: '/spec/containers/0/securityContext/runAsNonRoot', value: true },
      { op: 'add', path: '/spec/containers/0/securityContext/allowPrivilegeEscalation', value: false },
      { op: 'add', path: '/spec/containers/0/securityContext/seccompProfile', value: { type: 'RuntimeDefault' } },
      { op: 'add', path: '/spec/containers/0/securityContext/capabilities', value: { drop: ['ALL'] } },
    ],
  },
  {
    name: 'capabilities with only add get drop ALL added beside it',
    spec: {
      containers: [
        app({ runAsNonRoot: true, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { add: ['NET_BIND_SERVICE'] } }),
      ],
    },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext/capabilities/drop', value: ['ALL'] }],
  },
  {
    name: 'pod-level runAsNonRoot and seccompProfile count as set',
    spec: { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [app({ capabilities: { drop: ['ALL'] } })] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext/allowPrivilegeEscalation', value: false }],
  },
  {
    name: 'an explicit runAsNonRoot: false at pod level is kept and reported',
    spec: {
      securityContext: { runAsNonRoot: false },
      containers: [app({ allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } })],
    },
    ops: [],
    conflicts: ['runAsNonRoot: false is set explicitly; left as is'],
  },
  {
    name: 'runAsUser: 0 leaves runAsNonRoot unset, since kubelet would refuse the pod',
    spec: { containers: [app({ runAsUser: 0, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } })] },
    ops: [],
    conflicts: ['runAsUser: 0 is set explicitly; runAsNonRoot left unset'],
  },
  {
    name: 'privileged: true never gets allowPrivilegeEscalation: false (the API server rejects the pair)',
    spec: { containers: [app({ privileged: true, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } })] },
    ops: [],
    conflicts: ['privileged: true is set; allowPrivilegeEscalation left unset'],
  },
  {
    name: 'CAP_SYS_ADMIN added never gets allowPrivilegeEscalation: false',
    spec: { containers: [app({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { add: ['CAP_SYS_ADMIN'], drop: ['ALL'] } })] },
    ops: [],
    conflicts: ['CAP_SYS_ADMIN is added; allowPrivilegeEscalation left unset'],
  },
  {
    name: 'seccomp Unconfined and a drop list without ALL are explicit choices, kept',
    spec: {
      containers: [app({ runAsNonRoot: true, allowPrivilegeEscalation: false, seccompProfile: { type: 'Unconfined' }, capabilities: { drop: ['NET_RAW'] } })],
    },
    ops: [],
    conflicts: ['seccompProfile Unconfined is set explicitly; left as is', 'capabilities.drop is set without ALL; left as is'],
  },
  {
    name: 'a windows pod only gets runAsNonRoot (Linux-only fields are forbidden there)',
    spec: { os: { name: 'windows' }, containers: [app()] },
    ops: [{ op: 'add', path: '/spec/containers/0/securityContext', value: { runAsNonRoot: true } }],
  },
  {
    name: 'init containers are hardened at their own path',
    spec: { containers: [app(HARDENED)], initContainers: [{ name: 'init', image: 'busybox' }] },
    ops: [{ op: 'add', path: '/spec/initContainers/0/securityContext', value: HARDENED }],
  },
  {
    name: 'a Deployment is patched at its pod template',
    kind: 'Deployment',
    spec: { containers: [app()] },
    ops: [{ op: 'add', path: '/spec/template/spec/containers/0/securityContext', value: HARDENED }],
  },
  {
    name: 'a CronJob is patched at its job template',
    kind: 'CronJob',
    spec: { containers: [app()] },
    ops: [{ op: 'add', path: '/spec/jobTemplate/spec/template/spec/containers/0/securityContext', value: HARDENED }],
  },
];

function plan(kind: 'Pod' | 'Deployment' | 'CronJob', object: Record<string, unknown>) {
  const targets = podTargetOf(decodeAdmissionReview(JSON.stringify(admissionReview(kind, object))));
  assert.equal(targets.kind, 'targets');
  if (targets.kind !== 'targets') throw new Error('unreachable');
  const plans = targets.target.containers.map((c) => ({ container: c, plan: planHardening(targets.target.spec, c) }));
  return {
    spec: targets.target.spec,
    ops: plans.flatMap(({ container, plan }) => securityContextOperations(container.path, container.container.securityContext, plan.fields)),
    conflicts: plans.flatMap(({ plan }) => plan.conflicts),
  };
}

function specAt(object: Record<string, unknown>, kind: string): V1PodSpec {
  const o = object as { spec: { template?: { spec: V1PodSpec }; jobTemplate?: { spec: { template: { spec: V1PodSpec } } } } & V1PodSpec };
  if (kind === 'Deployment') return o.spec.template?.spec as V1PodSpec;
  if (kind === 'CronJob') return o.spec.jobTemplate?.spec.template.spec as V1PodSpec;
  return o.spec;
}

describe('planHardening', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const kind = c.kind ?? 'Pod';
      const object = objectOf(kind, 'web', c.spec);
      const first = plan(kind, object);
      assert.deepEqual(first.ops, c.ops);
      assert.deepEqual(first.conflicts, c.conflicts ?? []);

      const patched = apply_patch(structuredClone(object), first.ops);
      assert.deepEqual(kubernetesErrors(specAt(patched, kind)), [], 'the patched pod is one the API server accepts and kubelet starts');
      assert.deepEqual(plan(kind, patched).ops, [], 're-applying is a no-op');
    });
  }
});
