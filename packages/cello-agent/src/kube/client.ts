/**
 * The Kubernetes client every agent command shares: in a pod, the service
 * account (in-cluster config); elsewhere $KUBECONFIG or ~/.kube/config
 * (a vpc-sim node sets KUBECONFIG to the sim's API).
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
}

export function kubeClient(): Kube {
  const config = new KubeConfig();
  config.loadFromDefault();
  if (!config.getCurrentCluster()) {
    throw new Error('no Kubernetes API to talk to: run in a pod with a service account, or set KUBECONFIG');
  }
  return { config, core: config.makeApiClient(CoreV1Api) };
}

/** The HTTP status of a client-node error (ApiException carries `code`), if any. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}
