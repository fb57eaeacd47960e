/**
 * A small CRI client (runtime.v1.RuntimeService), gRPC over the runtime's
 * unix socket with node:http2 — the calls a kubelet makes for a pod's
 * sandbox, nothing more. Messages are written from the field numbers of the
 * CRI API's published api.proto (k8s.io/cri-api, pkg/apis/runtime/v1).
 */
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { ProtoMessage, ProtoWriter } from './protobuf.ts';

/** What a kubelet puts in a PodSandboxConfig, as far as the tests need it. */
export interface SandboxConfig {
  name: string;
  namespace: string;
  uid: string;
  attempt?: number;
  hostname?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** LinuxPodSandboxConfig.cgroup_parent */
  cgroupParent?: string;
}

export interface SandboxStatus {
  id: string;
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
  /** 'SANDBOX_READY' | 'SANDBOX_NOTREADY' */
  state: string;
  ip: string;
  additionalIps: string[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** the verbose info map (containerd: `info` holds a JSON document with the netns path) */
  info: Record<string, string>;
}

/** What ListPodSandbox says of each sandbox. */
export type SandboxSummary = Pick<SandboxStatus, 'id' | 'name' | 'namespace' | 'uid' | 'attempt' | 'state'>;

/** A gRPC error: `code` is the gRPC status (5 NOT_FOUND, 2 UNKNOWN, 14 UNAVAILABLE…). */
export class CriError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
  ) {
    super(`${method}: gRPC status ${code}: ${message}`);
  }
}

const STATES = ['SANDBOX_READY', 'SANDBOX_NOTREADY'];
const SERVICE = '/runtime.v1.RuntimeService/';

function metadata(w: ProtoWriter, c: SandboxConfig): ProtoWriter {
  // PodSandboxMetadata: name = 1, uid = 2, namespace = 3, attempt = 4
  return w.message(1, new ProtoWriter().string(1, c.name).string(2, c.uid).string(3, c.namespace).uint(4, c.attempt));
}

function sandboxConfig(c: SandboxConfig): ProtoWriter {
  // PodSandboxConfig: metadata = 1, hostname = 2, labels = 6, annotations = 7, linux = 8
  const w = metadata(new ProtoWriter(), c)
    .string(2, c.hostname ?? c.name)
    .map(6, c.labels)
    .map(7, c.annotations);
  // LinuxPodSandboxConfig: cgroup_parent = 1, security_context = 2 {namespace_options = 1 {network = 1: POD (0)}}
  return w.message(8, new ProtoWriter().string(1, c.cgroupParent).message(2, new ProtoWriter().message(1, new ProtoWriter())));
}

function summaryOf(m: ProtoMessage): SandboxSummary {
  const meta = m.message(2);
  return {
    id: m.string(1),
    name: meta?.string(1) ?? '',
    uid: meta?.string(2) ?? '',
    namespace: meta?.string(3) ?? '',
    attempt: meta?.uint(4) ?? 0,
    state: STATES[m.uint(3)] ?? String(m.uint(3)),
  };
}

export class CriClient {
  private session: ClientHttp2Session | undefined;
  /** what every RunPodSandbox gets unless its config says otherwise (a runtime's cgroup parent) */
  readonly defaults: Partial<SandboxConfig> = {};

  /** `socket`: the runtime's gRPC unix socket. */
  constructor(readonly socket: string) {}

  private connect(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const s = http2Connect('http://localhost', { createConnection: () => netConnect(this.socket) });
    s.on('error', () => {}); // each call sees its own stream's error
    s.on('close', () => {
      if (this.session === s) this.session = undefined;
    });
    this.session = s;
    return s;
  }

  /** One unary call; rejects with CriError on a non-zero grpc-status, or the transport's error. */
  async call(method: string, body: Buffer, timeoutMs = 180_000): Promise<ProtoMessage> {
    const session = this.connect();
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    return new Promise((resolve, reject) => {
      const req = session.request({
        ':method': 'POST',
        ':path': SERVICE + method,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${timeoutMs}m`,
      });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = '';
      const take = (h: Record<string, unknown>) => {
        if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
        if (h['grpc-message'] !== undefined) message = decodeURIComponent(String(h['grpc-message']));
      };
      const timer = setTimeout(() => req.close(), timeoutMs + 5000);
      req.on('response', take);
      req.on('trailers', take);
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(new CriError(method, 14, err.message));
      });
      req.on('close', () => {
        clearTimeout(timer);
        if (status === undefined) return reject(new CriError(method, 14, `stream closed without a status (rst ${req.rstCode})`));
        if (status !== '0') return reject(new CriError(method, Number(status), message));
        const data = Buffer.concat(chunks);
        if (data.length < 5) return resolve(new ProtoMessage(Buffer.alloc(0)));
        resolve(new ProtoMessage(data.subarray(5, 5 + data.readUInt32BE(1))));
      });
      req.end(frame);
    });
  }

  async version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    const m = await this.call('Version', new ProtoWriter().string(1, 'v1').finish());
    return { runtimeName: m.string(2), runtimeVersion: m.string(3), runtimeApiVersion: m.string(4) };
  }

  /** Status: the runtime's conditions by type (RuntimeReady, NetworkReady) → {status, reason, message}. */
  async status(): Promise<Record<string, { status: boolean; reason: string; message: string }>> {
    const m = await this.call('Status', Buffer.alloc(0));
    const conds = m.message(1)?.messages(1) ?? [];
    return Object.fromEntries(conds.map((c) => [c.string(1), { status: c.uint(2) === 1, reason: c.string(3), message: c.string(4) }]));
  }

  /** RunPodSandbox: the new sandbox's id. */
  async runPodSandbox(config: SandboxConfig, runtimeHandler = ''): Promise<string> {
    const m = await this.call(
      'RunPodSandbox',
      new ProtoWriter()
        .message(1, sandboxConfig({ ...this.defaults, ...config }))
        .string(2, runtimeHandler)
        .finish(),
    );
    return m.string(1);
  }

  async podSandboxStatus(id: string, verbose = true): Promise<SandboxStatus> {
    const m = await this.call('PodSandboxStatus', new ProtoWriter().string(1, id).bool(2, verbose).finish());
    const s = m.message(1);
    if (!s) throw new CriError('PodSandboxStatus', 2, 'no status in the answer');
    const net = s.message(5);
    return {
      ...summaryOf(s),
      ip: net?.string(1) ?? '',
      additionalIps: (net?.messages(2) ?? []).map((p) => p.string(1)),
      labels: s.map(7),
      annotations: s.map(8),
      info: m.map(2),
    };
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call('StopPodSandbox', new ProtoWriter().string(1, id).finish());
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call('RemovePodSandbox', new ProtoWriter().string(1, id).finish());
  }

  async listPodSandbox(): Promise<SandboxSummary[]> {
    const m = await this.call('ListPodSandbox', Buffer.alloc(0));
    return m.messages(1).map(summaryOf);
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}
