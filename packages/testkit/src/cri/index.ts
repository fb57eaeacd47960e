/** containerd's CRI as a node's runtime in tests: `@cello/testkit/cri`. */
export type { SandboxConfig } from './client.ts';
export { buildPauseImage, containerdLacks, startContainerd, type Containerd } from './containerd.ts';
