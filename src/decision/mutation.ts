import type { V1Container, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { CompiledPolicy, PodScope } from '../policy/compile.js';
import type { FactsResult } from '../rules/types.js';
import type { JsonPatchOperation } from '../shared/json-patch.js';
import { isEmptyRecord } from '../shared/records.js';
import type { ContainerTarget, PodTarget } from '../workload/targets.js';
import { kept, type Change, type Note } from './change.js';
import { abbreviations, containerLists, firstFitting, warning, WARNING_PREFIX } from './warning-text.js';
import { appendOperations, containerOperations, needsFacts, planContainer, type ContainerMutation } from './container-mutation.js';
import type { ContainerIdentity } from './finding.js';
import { containerNames, declarationsFor, initContainerBody, injectedFrom, sameImage, type Declaration } from './init-containers.js';
import { settingsForImage, type ImageSettings, type MutationSettings } from './mutation-settings.js';

/** One admission's pod, the policies in force and where it runs: what mutation is decided from, besides facts. */
export interface MutationScope {
  readonly target: PodTarget;
  readonly scope: PodScope;
  readonly policies: readonly CompiledPolicy[];
}

/**
 * What mutation is planned from, besides facts, resolved once per admission: each container's settings (Enforce and
 * all active policies) and the init-container declarations. The same object chooses the images to inspect and plans.
 */
export interface PreparedMutation {
  readonly target: PodTarget;
  readonly containers: readonly { readonly target: ContainerTarget; readonly settings: ImageSettings }[];
  /** Every declaration for this pod, whatever its policy's action: recognises init containers injected before. */
  readonly declarations: readonly Declaration[];
  /** The active policies' declarations, with the settings a container running the init image gets. */
  readonly injections: readonly { readonly declaration: Declaration; readonly settings: ImageSettings }[];
}

export function prepareMutation({ target, scope, policies }: MutationScope): PreparedMutation {
  // The ephemeralcontainers subresource cannot add init containers: no declaration applies.
  const declarations = target.ephemeralOnly ? [] : declarationsFor(target, scope, policies);
  return {
    target,
    containers: target.containers.map((c) => ({ target: c, settings: settingsForImage(policies, scope, c.image) })),
    declarations,
    injections: declarations.filter(isActive).map((d) => ({ declaration: d, settings: settingsForImage(policies, scope, d.init.spec.image) })),
  };
}

/** The images whose facts the mutation would use (inspected before planning, and only those). */
export function imagesToInspect({ target, containers, injections }: PreparedMutation): string[] {
  const images: string[] = [];
  for (const { target: container, settings } of containers) if (needsFacts(target.spec, container, settings.all)) images.push(container.image);
  for (const { declaration } of injections) if (!isPresent(target, declaration)) images.push(declaration.init.spec.image);
  return images;
}

/**
 * The patch the Enforce policies ask for, and the warnings: what the DryRun ones would add, and every note (explicit
 * choices kept, mutations impossible and why).
 */
export function planMutation(prepared: PreparedMutation, factsOf: (image: string) => FactsResult): { operations: readonly JsonPatchOperation[]; warnings: string[] } {
  const inputFor = (view: keyof ImageSettings): PodMutationInput => ({
    target: prepared.target,
    containers: prepared.containers.map(({ target, settings }) => ({ target, settings: settings[view], facts: factsOf(target.image) })),
    injections: prepared.injections
      .filter(({ declaration }) => view === 'all' || declaration.policy.mutate.action === 'Enforce')
      .map(({ declaration, settings }) => ({ declaration, settings: settings[view], facts: factsOf(declaration.init.spec.image) })),
    declarations: prepared.declarations,
  });
  const enforced = planPodMutation(inputFor('enforced'));
  // planPodMutation is pure: when the DryRun policies add nothing, planning everything gives the enforced plan again.
  const dryRunAdds =
    prepared.containers.some(({ settings }) => settings.all !== settings.enforced) ||
    prepared.injections.some(({ declaration, settings }) => settings.all !== settings.enforced || declaration.policy.mutate.action !== 'Enforce');
  const everything = dryRunAdds ? planPodMutation(inputFor('all')) : enforced;
  return { operations: enforced.operations, warnings: mutationWarnings(enforced, everything) };
}

const isActive = (declaration: Declaration): boolean => declaration.policy.mutate.action !== 'Disabled';

/** The declared init container is in the pod already (injected before). */
function isPresent(target: PodTarget, declaration: Declaration): boolean {
  const { name, image } = declaration.init.spec;
  return (target.spec.initContainers ?? []).some((c) => c.name === name && sameImage(c.image ?? '', image));
}

export interface ContainerInput {
  readonly target: ContainerTarget;
  /** The merged settings of the policies that apply to this container. */
  readonly settings: MutationSettings;
  readonly facts: FactsResult;
}

export interface InjectionInput {
  readonly declaration: Declaration;
  /** The settings a container running the init image gets (as for any container), so a second pass finds nothing to add. */
  readonly settings: MutationSettings;
  readonly facts: FactsResult;
}

export interface PodMutationInput {
  readonly target: PodTarget;
  readonly containers: readonly ContainerInput[];
  /** Init containers to inject when missing. */
  readonly injections: readonly InjectionInput[];
  /** Every declaration for this pod, whatever its policy's action: recognises init containers injected before. */
  readonly declarations: readonly Declaration[];
}

export interface Reported<T> {
  readonly container: ContainerIdentity;
  readonly item: T;
}

export interface PodMutation {
  readonly operations: readonly JsonPatchOperation[];
  readonly changes: readonly Reported<Change>[];
  readonly notes: readonly Reported<Note>[];
}

/**
 * The whole patch for one pod spec, pure. Order: each container in request order (image, securityContext,
 * volumeMounts), then mounts of the shared volumes in app containers not otherwise patched, then the pod's new
 * volumes, then the injected init containers, appended after the pod's own (appending never shifts the index of an
 * existing container that an earlier operation points at).
 *
 * An injected init container is recognised again by name and image, and planned like the first time (always
 * hardened; runAsNonRoot left alone when its policy allows root), so a second pass adds nothing.
 */
export function planPodMutation(input: PodMutationInput): PodMutation {
  const { target } = input;
  const { spec, specPath } = target;
  const operations: JsonPatchOperation[] = [];
  const changes: Reported<Change>[] = [];
  const notes: Reported<Note>[] = [];
  const taken = new Set((spec.volumes ?? []).map((volume) => volume.name));
  const podVolumes: V1Volume[] = [];
  const addVolumes = (volumes: readonly V1Volume[]): void => {
    for (const volume of volumes) {
      podVolumes.push(volume);
      taken.add(volume.name);
    }
  };
  const report = (container: ContainerIdentity, mutation: ContainerMutation): void => {
    changes.push(...mutation.changes.map((item) => ({ container, item })));
    notes.push(...mutation.notes.map((item) => ({ container, item })));
  };

  const shared = planSharedVolumes(input);
  notes.push(...shared.notes);
  addVolumes(shared.volumes);

  const injected: V1Container[] = [];
  const initCount = (spec.initContainers ?? []).length;
  for (const { declaration, settings, facts } of shared.toInject) {
    const body = initContainerBody(declaration.init);
    const identity: ContainerIdentity = { kind: 'initContainer', name: body.name, image: body.image ?? '' };
    const bodyTarget: ContainerTarget = { ...identity, path: [...specPath, 'initContainers', initCount + injected.length], container: body };
    const mutation = planContainer({
      spec,
      target: bodyTarget,
      settings: { ...settings, harden: true },
      facts,
      takenVolumeNames: taken,
      allowRoot: declaration.init.allowRoot,
    });
    addVolumes(mutation.volumes);
    injected.push(materialise(body, mutation));
    const { name, mountPath } = declaration.init.spec.volume;
    changes.push({ container: identity, item: { kind: 'inject', text: `volume ${name} at ${mountPath}, shared with the app containers (policy ${declaration.policy.name})` } });
    report(identity, mutation);
  }

  const patched = new Set<number>();
  for (const { target: container, settings, facts } of input.containers) {
    const index = container.kind === 'container' ? Number(container.path.at(-1)) : -1;
    const declaration = injectedFrom(container, input.declarations);
    const mutation = planContainer({
      spec,
      target: container,
      settings: declaration ? { ...settings, harden: true } : settings,
      facts,
      takenVolumeNames: taken,
      plannedMounts: shared.mounts.get(index) ?? [],
      allowRoot: declaration?.init.allowRoot ?? false,
    });
    patched.add(index);
    addVolumes(mutation.volumes);
    operations.push(...containerOperations(container, mutation));
    report({ kind: container.kind, name: container.name, image: container.image }, mutation);
  }
  for (const [index, mounts] of shared.mounts) {
    if (patched.has(index)) continue;
    const container = spec.containers[index];
    if (container === undefined) continue;
    operations.push(...appendOperations([...specPath, 'containers', index, 'volumeMounts'], container.volumeMounts, mounts));
    const identity: ContainerIdentity = { kind: 'container', name: container.name ?? '', image: container.image ?? '' };
    changes.push(...mounts.map((mount) => ({ container: identity, item: { kind: 'mount' as const, text: `volume ${mount.name} at ${mount.mountPath}` } })));
  }

  operations.push(...appendOperations([...specPath, 'volumes'], spec.volumes, podVolumes));
  operations.push(...appendOperations([...specPath, 'initContainers'], spec.initContainers, injected));
  return { operations, changes, notes };
}

interface SharedVolumes {
  readonly toInject: readonly InjectionInput[];
  /** App container index → shared-volume mounts it still lacks. */
  readonly mounts: ReadonlyMap<number, readonly V1VolumeMount[]>;
  readonly volumes: readonly V1Volume[];
  readonly notes: readonly Reported<Note>[];
}

/**
 * Which declared init containers to inject, and the shared emptyDir volumes and app-container mounts they need.
 * Each piece is added only when missing, so re-admitting an injected pod adds nothing. A name, volume or mount path
 * the pod already uses for something else is the user's choice: kept, and reported.
 */
function planSharedVolumes(input: PodMutationInput): SharedVolumes {
  const { spec } = input.target;
  const names = containerNames(spec);
  const podVolumes = spec.volumes ?? [];
  const toInject: InjectionInput[] = [];
  const injectedImages = new Map<string, string>();
  const mounts = new Map<number, V1VolumeMount[]>();
  const volumes: V1Volume[] = [];
  const notes: Reported<Note>[] = [];

  for (const injection of input.injections) {
    const { init, policy } = injection.declaration;
    const { name, image, volume } = init.spec;
    const identity: ContainerIdentity = { kind: 'initContainer', name, image };
    const note = (text: string): void => void notes.push({ container: identity, item: kept(text) });
    const existing = (spec.initContainers ?? []).find((c) => c.name === name);
    const present = (existing !== undefined && sameImage(existing.image ?? '', image)) || injectedImages.get(name) === image;
    if (!present && (names.has(name) || injectedImages.has(name))) {
      note(`another container is named ${name}; the init container of policy ${policy.name} is not injected`);
      continue;
    }
    const own = podVolumes.find((v) => v.name === volume.name);
    if (own !== undefined && !own.emptyDir) {
      note(`volume ${volume.name} is not an emptyDir; the init container of policy ${policy.name} is not injected`);
      continue;
    }
    if (!present) {
      toInject.push(injection);
      injectedImages.set(name, image);
    }
    if (own === undefined && !volumes.some((v) => v.name === volume.name)) volumes.push({ name: volume.name, emptyDir: {} });
    (spec.containers ?? []).forEach((container, index) => {
      const planned = mounts.get(index) ?? [];
      const at = [...(container.volumeMounts ?? []), ...planned].find((m) => m.mountPath === volume.mountPath);
      if (at === undefined) mounts.set(index, [...planned, { name: volume.name, mountPath: volume.mountPath }]);
      else if (at.name !== volume.name) {
        const app: ContainerIdentity = { kind: 'container', name: container.name ?? '', image: container.image ?? '' };
        notes.push({ container: app, item: kept(`volumeMount ${at.name} at ${volume.mountPath} is set; volume ${volume.name} not mounted there`) });
      }
    });
  }
  return { toInject, mounts, volumes, notes };
}

/** The injected container as added: the declaration's fields, then what planning gave it. */
function materialise(body: V1Container, mutation: ContainerMutation): V1Container {
  return {
    ...body,
    ...(mutation.image !== undefined ? { image: mutation.image } : {}),
    volumeMounts: [...(body.volumeMounts ?? []), ...mutation.volumeMounts],
    ...(isEmptyRecord(mutation.securityContext) ? {} : { securityContext: { ...mutation.securityContext } }),
  };
}

const VERBS: Readonly<Record<Change['kind'], string>> = { harden: 'harden', pin: 'pin', mount: 'mount in', inject: 'inject' };
const NOUNS: Readonly<Record<ContainerIdentity['kind'], string>> = { container: 'container', initContainer: 'init container', ephemeralContainer: 'ephemeral container' };

/**
 * The warnings of a mutation: for DryRun, what `everything` (every active policy's settings) would patch beyond
 * `enforced` (only Enforce policies'), one warning per kind of change and list of changes, naming every container
 * it applies to (a 3-container pod gets one "would harden" warning, not three); then every note of either, alike.
 */
export function mutationWarnings(enforced: PodMutation, everything: PodMutation): string[] {
  if (everything === enforced) return noteWarnings(enforced.notes);
  const key = (r: Reported<Change>): string => `${r.container.kind}/${r.container.name}\0${r.item.kind}\0${r.item.text}`;
  const done = new Set(enforced.changes.map(key));
  const perContainer = new Map<string, { container: ContainerIdentity; kind: Change['kind']; texts: string[] }>();
  for (const change of everything.changes) {
    if (done.has(key(change))) continue;
    const group = `${change.container.kind}/${change.container.name}\0${change.item.kind}`;
    const existing = perContainer.get(group);
    if (existing) existing.texts.push(change.item.text);
    else perContainer.set(group, { container: change.container, kind: change.item.kind, texts: [change.item.text] });
  }
  const alike = new Map<string, { kind: Change['kind']; noun: string; names: string[]; texts: readonly string[] }>();
  for (const { container, kind, texts } of perContainer.values()) {
    const group = `${kind}\0${container.kind}\0${texts.join('\0')}`;
    const existing = alike.get(group);
    if (existing) existing.names.push(container.name);
    else alike.set(group, { kind, noun: NOUNS[container.kind], names: [container.name], texts });
  }
  const wouldPatch = [...alike.values()].map((g) => wouldPatchWarning(VERBS[g.kind], g.noun, g.names, g.texts));
  return [...new Set([...wouldPatch, ...noteWarnings([...enforced.notes, ...everything.notes])])];
}

/**
 * One warning per note, naming every container it is about: `[distroless-guard] root image in containers app, sidecar:
 * …` (a note about one container names its image too, as warning() words it).
 */
function noteWarnings(notes: readonly Reported<Note>[]): string[] {
  const alike = new Map<string, { note: Reported<Note>; names: Set<string> }>();
  for (const note of notes) {
    const group = `${note.item.what}\0${note.container.kind}\0${note.item.text}`;
    const existing = alike.get(group);
    if (existing) existing.names.add(note.container.name);
    else alike.set(group, { note, names: new Set([note.container.name]) });
  }
  return [...alike.values()].map(({ note: { container, item }, names }) =>
    names.size === 1
      ? warning(item.what, container, item.text)
      : firstFitting(containerLists([...names], NOUNS[container.kind]).map((list) => `${WARNING_PREFIX} ${item.what} ${list}: ${item.text}`)),
  );
}

/**
 * `[distroless-guard] DryRun: mutate would harden containers app, sidecar: runAsNonRoot: true, …` within the warning
 * budget: every change as it would be made; else with digests shortened; else the fields alone
 * (`runAsNonRoot, allowPrivilegeEscalation and 2 more`); else their count; a single change is cut rather than
 * counted. Containers are named before values are kept: the values are the documented defaults (docs/mutation.md),
 * and check's diff shows them all.
 */
function wouldPatchWarning(verb: string, noun: string, names: readonly string[], texts: readonly string[]): string {
  const head = `${WARNING_PREFIX} DryRun: mutate would ${verb}`;
  const short = texts.map(shortDigests);
  const fields = short.map((t) => t.split(': ')[0] ?? t);
  const several = texts.length > 1 ? [...abbreviations(fields), `${texts.length} changes`] : [];
  const wordings = [...new Set([texts.join(', '), short.join(', '), ...several])];
  const lists = containerLists(names, noun);
  return firstFitting([...lists.flatMap((list) => wordings.map((wording) => `${head} ${list}: ${wording}`)), `${head} ${lists[0] ?? ''}: ${short.join(', ')}`]);
}

/** `sha256:` and 64 hex digits → the first 12 and an ellipsis, as image tools show digests. */
function shortDigests(text: string): string {
  return text.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, 'sha256:$1…');
}
