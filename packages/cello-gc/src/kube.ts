/**
 * What Kubernetes says, through @kubernetes/client-node: the pods bound to a
 * node (node sweep) and the cluster's nodes (cluster sweep). An API that
 * cannot be reached, or answers with an error, is `unknown` — never taken to
 * mean "no pods" or "no nodes".
 */
import { CoreV1Api, KubeConfig, Observable, type RequestContext, type ResponseContext, type V1Node, type V1Pod } from '@kubernetes/client-node';

export interface KubeOptions {
  /** Skip Kubernetes altogether (`--no-kubernetes`): only the other evidence counts. */
  off?: boolean;
  /** A kubeconfig file; default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account. */
  kubeconfig?: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

export type View<T> = { state: 'ok'; items: T[] } | { state: 'unknown'; why: string } | { state: 'off' };

export interface PodFacts {
  namespace: string;
  name: string;
  phase: string;
}

export interface NodeFacts {
  name: string;
  providerId: string;
  internalIps: string[];
}

const PAGE = 500;

function api(opts: KubeOptions): CoreV1Api {
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  return kc.makeApiClient(CoreV1Api);
}

/** A request option that aborts the request after the timeout (the client has none of its own). */
function withTimeout(ms: number) {
  return {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(AbortSignal.timeout(ms));
          return new Observable(Promise.resolve(ctx));
        },
        post: (r: ResponseContext) => new Observable(Promise.resolve(r)),
      },
    ],
    middlewareMergeStrategy: 'append' as const,
  };
}

function why(err: unknown): string {
  const e = err as { code?: number; message?: string; body?: unknown };
  const status = typeof e.code === 'number' ? `HTTP ${e.code}: ` : '';
  return `${status}${(e.message ?? String(err)).split('\n')[0]}`;
}

async function listAll<T, I>(
  opts: KubeOptions,
  page: (core: CoreV1Api, cont: string | undefined, o: ReturnType<typeof withTimeout>) => Promise<{ items: I[]; metadata?: { _continue?: string } }>,
  map: (i: I) => T,
): Promise<View<T>> {
  if (opts.off) return { state: 'off' };
  try {
    const core = api(opts);
    const o = withTimeout(opts.timeoutMs ?? 10_000);
    const items: T[] = [];
    let cont: string | undefined;
    do {
      const r = await page(core, cont, o);
      items.push(...r.items.map(map));
      cont = r.metadata?._continue || undefined;
    } while (cont);
    return { state: 'ok', items };
  } catch (err) {
    return { state: 'unknown', why: why(err) };
  }
}

/** Pods bound to `nodeName` (fieldSelector spec.nodeName). */
export function podsOnNode(opts: KubeOptions, nodeName: string): Promise<View<PodFacts>> {
  return listAll(
    opts,
    (core, cont, o) => core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}`, limit: PAGE, _continue: cont }, o),
    (p: V1Pod) => ({ namespace: p.metadata?.namespace ?? '', name: p.metadata?.name ?? '', phase: p.status?.phase ?? '' }),
  );
}

/** Every node of the cluster with what identifies its instance. */
export function clusterNodes(opts: KubeOptions): Promise<View<NodeFacts>> {
  return listAll(
    opts,
    (core, cont, o) => core.listNode({ limit: PAGE, _continue: cont }, o),
    (n: V1Node) => ({
      name: n.metadata?.name ?? '',
      providerId: n.spec?.providerID ?? '',
      internalIps: (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address),
    }),
  );
}

/** How a view reads in the report's sources. */
export const describeView = (v: View<unknown>, what: string): string =>
  v.state === 'ok' ? `ok (${v.items.length} ${what})` : v.state === 'off' ? 'off' : `unknown: ${v.why}`;
