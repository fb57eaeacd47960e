/** containerd's CRI as a node's runtime in tests: `@cello/testkit/cri`. */
export { CriClient, CriError, type SandboxConfig, type SandboxStatus, type SandboxSummary } from './client.ts';
export { buildPauseImage, containerdLacks, startContainerd, PAUSE_IMAGE, type Containerd, type ContainerdOptions } from './containerd.ts';
