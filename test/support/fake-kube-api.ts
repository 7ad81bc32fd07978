/**
 * A local HTTP endpoint speaking the parts of the Kubernetes API the guard uses, with the real list/watch protocol:
 * lists carry metadata.resourceVersion; `?watch=true&resourceVersion=N` streams newline-delimited JSON events
 * (ADDED/MODIFIED/DELETED) after N over a chunked response and keeps it open; a resourceVersion older than the
 * compacted history gets an ERROR event with a 410 Status (reason Expired) and the stream ends, as etcd compaction
 * makes the real API server do. Writes (create, replace, merge-patch, status subresource) bump resourceVersion,
 * check it for optimistic concurrency (409 Conflict) and bump metadata.generation when spec changes.
 *
 * Namespaced resources (`namespacedCollection('/api/v1', 'pods', …)`) are served at
 * `<base>/namespaces/<ns>/<plural>[/<name>[/<subresource>]]` and listed across namespaces at `<base>/<plural>`.
 * Lists honour `labelSelector` (k=v, k!=v, k, !k) and `limit`/`continue` pagination.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    resourceVersion?: string;
    generation?: number;
    uid?: string;
    creationTimestamp?: string;
  };
  [key: string]: unknown;
};
type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Collection {
  /** The list path: of the collection, or for a namespaced one of every namespace (`<base>/<plural>`). */
  readonly path: string;
  readonly kind: string;
  readonly apiVersion: string;
  /** Set for a namespaced resource: objects are keyed "namespace/name". */
  readonly namespaced?: { readonly pattern: RegExp };
  readonly objects: Map<string, KubeObject>;
  readonly history: { rv: number; type: EventType; object: KubeObject }[];
  readonly watchers: Map<ServerResponse, string | undefined>;
}

/** A request path resolved: the collection, the namespace (namespaced resources only) and the object. */
interface Route {
  readonly collection: Collection;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

export interface FakeKubeApi {
  readonly url: string;
  /** Every request as "METHOD path?query". */
  readonly requests: string[];
  /** A kubeconfig document pointing at this endpoint. */
  kubeconfig(): string;
  /** Declares a collection, e.g. ('/api/v1/namespaces', 'Namespace', 'v1'). */
  collection(path: string, kind: string, apiVersion: string): void;
  /** Declares a namespaced resource, e.g. ('/api/v1', 'pods', 'Pod', 'v1') or ('/apis/apps/v1', 'replicasets', …). */
  namespacedCollection(base: string, plural: string, kind: string, apiVersion: string): void;
  /**
   * Creates or replaces an object as a controller would (events go to watchers). `path` is a collection's list path;
   * for a namespaced resource either `<base>/namespaces/<ns>/<plural>` or `<base>/<plural>` with metadata.namespace set.
   */
  put(path: string, object: Omit<KubeObject, 'metadata'> & { metadata: { name: string; [key: string]: unknown } }): KubeObject;
  remove(path: string, name: string): void;
  get(path: string, name: string): KubeObject | undefined;
  /** The objects under a list path (of one namespace, or of all for `<base>/<plural>`), sorted by namespace and name. */
  list(path: string): KubeObject[];
  /** Forgets the event history (etcd compaction): watches from an older resourceVersion get 410 Gone. */
  compact(): void;
  /** Ends every open watch stream (as an API server restart or a load balancer timeout would). */
  dropWatches(): void;
  openWatches(): number;
  close(): Promise<void>;
}

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  const collections = new Map<string, Collection>();
  const requests: string[] = [];
  let resourceVersion = 100;
  let compactedBelow = 0;
  let uid = 0;

  const stamp = (object: KubeObject, previous: KubeObject | undefined): KubeObject => {
    resourceVersion += 1;
    const specChanged = previous === undefined || JSON.stringify(previous['spec']) !== JSON.stringify(object['spec']);
    const generation = previous === undefined ? 1 : (previous.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    return {
      ...object,
      metadata: {
        ...object.metadata,
        resourceVersion: String(resourceVersion),
        generation,
        uid: previous?.metadata.uid ?? `uid-${++uid}`,
        creationTimestamp: previous?.metadata.creationTimestamp ?? new Date().toISOString(),
      },
    };
  };

  const keyOf = (collection: Collection, object: KubeObject): string =>
    collection.namespaced ? `${object.metadata.namespace ?? ''}/${object.metadata.name}` : object.metadata.name;
  const inNamespace = (object: KubeObject, namespace: string | undefined): boolean => namespace === undefined || object.metadata.namespace === namespace;

  const emit = (collection: Collection, type: EventType, object: KubeObject): void => {
    collection.history.push({ rv: resourceVersion, type, object });
    for (const [watcher, namespace] of collection.watchers) {
      if (!watcher.writableEnded && inNamespace(object, namespace)) watcher.write(`${JSON.stringify({ type, object })}\n`);
    }
  };

  const store = (collection: Collection, object: KubeObject): KubeObject => {
    const previous = collection.objects.get(keyOf(collection, object));
    const stored = stamp({ apiVersion: collection.apiVersion, kind: collection.kind, ...object }, previous);
    collection.objects.set(keyOf(collection, stored), stored);
    emit(collection, previous ? 'MODIFIED' : 'ADDED', stored);
    return stored;
  };

  const erase = (collection: Collection, current: KubeObject): void => {
    collection.objects.delete(keyOf(collection, current));
    resourceVersion += 1;
    emit(collection, 'DELETED', { ...current, metadata: { ...current.metadata, resourceVersion: String(resourceVersion) } });
  };

  /** The object a route names, if it exists. */
  const find = (route: Route, name: string): KubeObject | undefined =>
    route.collection.objects.get(route.collection.namespaced ? `${route.namespace ?? ''}/${name}` : name);

  const listOf = (route: Route): KubeObject[] =>
    [...route.collection.objects.entries()]
      .filter(([, object]) => inNamespace(object, route.namespace))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, object]) => object);

  const routeOrThrow = (path: string): Route => {
    const route = routeOf(path);
    if (!route || route.name !== undefined) throw new Error(`no collection ${path}`);
    return route;
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => send(res, 500, status(500, 'InternalError', String(err))));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const route = routeOf(url.pathname);
    if (!route) return send(res, 404, status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`));
    const { collection, name, subresource } = route;
    const body = req.method === 'GET' || req.method === 'DELETE' ? undefined : await readJson(req);

    if (name === undefined) {
      if (req.method === 'GET' && url.searchParams.get('watch') === 'true') return watch(route, url, res);
      if (req.method === 'GET') return send(res, 200, listBody(route, url));
      if (req.method === 'POST') {
        const object = body as KubeObject;
        if (collection.namespaced) {
          if (route.namespace === undefined) return send(res, 405, status(405, 'MethodNotAllowed', 'POST needs a namespace'));
          object.metadata = { ...object.metadata, namespace: route.namespace };
        }
        if (find(route, object.metadata.name))
          return send(res, 409, status(409, 'AlreadyExists', `${collection.kind} "${object.metadata.name}" already exists`));
        return send(res, 201, store(collection, object));
      }
      return send(res, 405, status(405, 'MethodNotAllowed', `${req.method} on a collection`));
    }

    const current = find(route, name);
    if (req.method === 'GET') return current ? send(res, 200, current) : send(res, 404, status(404, 'NotFound', `${collection.kind} "${name}" not found`));
    if (req.method === 'DELETE') {
      if (!current) return send(res, 404, status(404, 'NotFound', `${collection.kind} "${name}" not found`));
      erase(collection, current);
      return send(res, 200, status(200, '', 'deleted'));
    }
    if (!current) return send(res, 404, status(404, 'NotFound', `${collection.kind} "${name}" not found`));
    const incoming = body as Partial<KubeObject>;
    const expected = incoming.metadata?.resourceVersion;
    if (req.method === 'PUT' && expected !== undefined && expected !== current.metadata.resourceVersion) {
      return send(
        res,
        409,
        status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${collection.kind} "${name}": ` +
            `the object has been modified; please apply your changes to the latest version and try again`,
        ),
      );
    }
    let next: KubeObject;
    if (req.method === 'PUT')
      next = subresource === 'status' ? { ...current, status: incoming['status'] } : { ...(incoming as KubeObject), status: current['status'] };
    else if (req.method === 'PATCH')
      next =
        subresource === 'status' ? { ...current, status: mergePatch(current['status'], incoming['status']) } : (mergePatch(current, incoming) as KubeObject);
    else return send(res, 405, status(405, 'MethodNotAllowed', `${req.method}`));
    next.metadata = { ...next.metadata, name, ...(collection.namespaced ? { namespace: route.namespace } : {}) };
    return send(res, 200, store(collection, next));
  }

  /** A list response: label-selected, then paged by `limit` with an opaque `continue` token (the offset). */
  function listBody(route: Route, url: URL): Record<string, unknown> {
    const selector = url.searchParams.get('labelSelector');
    const selected = listOf(route).filter((o) => selector === null || selector === '' || matchesSelector(o.metadata.labels ?? {}, selector));
    const offset = Number(Buffer.from(url.searchParams.get('continue') ?? '', 'base64url').toString() || '0');
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const items = limit > 0 ? selected.slice(offset, offset + limit) : selected.slice(offset);
    const more = limit > 0 && offset + limit < selected.length;
    const metadata = { resourceVersion: String(resourceVersion), ...(more ? { continue: Buffer.from(String(offset + limit)).toString('base64url') } : {}) };
    return { apiVersion: route.collection.apiVersion, kind: `${route.collection.kind}List`, metadata, items };
  }

  function watch(route: Route, url: URL, res: ServerResponse): void {
    const { collection, namespace } = route;
    const from = Number(url.searchParams.get('resourceVersion') || resourceVersion);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    if (from < compactedBelow) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${compactedBelow})`) })}\n`);
      return;
    }
    for (const event of collection.history) {
      if (event.rv > from && inNamespace(event.object, namespace)) res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    }
    collection.watchers.set(res, namespace);
    res.on('close', () => collection.watchers.delete(res));
  }

  function routeOf(pathname: string): Route | undefined {
    const direct = collections.get(pathname);
    if (direct) return { collection: direct };
    // Namespaced resources first: `/api/v1/namespaces/shop/pods` must not read as a subresource of Namespace "shop".
    for (const collection of collections.values()) {
      const m = collection.namespaced?.pattern.exec(pathname);
      if (!m) continue;
      const [, namespace, name, subresource] = m;
      return { collection, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) };
    }
    for (const [path, collection] of collections) {
      if (collection.namespaced || !pathname.startsWith(`${path}/`)) continue;
      const [name, subresource, ...rest] = pathname.slice(path.length + 1).split('/');
      if (name && rest.length === 0) return subresource === undefined ? { collection, name } : { collection, name, subresource };
    }
    return undefined;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    kubeconfig: () => `apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]
users: [{name: guard, user: {token: test-token}}]
contexts: [{name: local, context: {cluster: local, user: guard}}]
current-context: local
`,
    collection(path, kind, apiVersion) {
      collections.set(path, { path, kind, apiVersion, objects: new Map(), history: [], watchers: new Map() });
    },
    namespacedCollection(base, plural, kind, apiVersion) {
      const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const pattern = new RegExp(`^${escaped}/namespaces/([^/]+)/${plural}(?:/([^/]+))?(?:/([^/]+))?$`);
      const path = `${base}/${plural}`;
      collections.set(path, { path, kind, apiVersion, namespaced: { pattern }, objects: new Map(), history: [], watchers: new Map() });
    },
    put(path, object) {
      const route = routeOrThrow(path);
      const namespace = route.namespace ?? (object.metadata['namespace'] as string | undefined);
      if (route.collection.namespaced && namespace === undefined) throw new Error(`${path}: a namespaced object needs metadata.namespace`);
      const metadata = { ...object.metadata, ...(route.collection.namespaced ? { namespace } : {}) };
      return store(route.collection, { ...object, metadata } as KubeObject);
    },
    remove(path, name) {
      const route = routeOrThrow(path);
      const current = find(route, name);
      if (current) erase(route.collection, current);
    },
    get: (path, name) => find(routeOrThrow(path), name),
    list: (path) => listOf(routeOrThrow(path)),
    compact() {
      compactedBelow = resourceVersion + 1;
      for (const collection of collections.values()) collection.history.length = 0;
    },
    dropWatches() {
      for (const collection of collections.values()) {
        for (const watcher of collection.watchers.keys()) watcher.end();
        collection.watchers.clear();
      }
    },
    openWatches: () => [...collections.values()].reduce((n, c) => n + c.watchers.size, 0),
    async close() {
      for (const collection of collections.values()) for (const watcher of collection.watchers.keys()) watcher.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Equality- and set-less label selectors as kubectl writes them: `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated. */
function matchesSelector(labels: Record<string, string>, selector: string): boolean {
  return selector.split(',').every((term) => {
    const t = term.trim();
    const ne = /^([^!=]+)!=(.*)$/.exec(t);
    if (ne) return labels[ne[1] ?? ''] !== ne[2];
    const eq = /^([^!=]+)==?(.*)$/.exec(t);
    if (eq) return labels[eq[1] ?? ''] === eq[2];
    if (t.startsWith('!')) return !(t.slice(1) in labels);
    return t in labels;
  });
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 400 ? 'Success' : 'Failure', message, reason, code };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}
