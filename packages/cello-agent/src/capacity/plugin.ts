/**
 * One device plugin: a gRPC server on a unix socket in the kubelet's
 * device-plugin directory that advertises `count` devices of one extended
 * resource (devices `<name>-<i>`, all Healthy, as upstream), and its
 * registration with the kubelet. ListAndWatch sends the list at once, on
 * every change of count, and again every `resendMs` (upstream: 3 minutes).
 * Allocate returns empty answers: the resource only counts pods; the IP
 * itself comes from the CNI.
 */
import { rmSync } from 'node:fs';
import { basename } from 'node:path';
import { credentials, Server, ServerCredentials, type ServerWritableStream, type ServiceClientConstructor } from '@grpc/grpc-js';
import { API_VERSION, devicePluginApi, HEALTHY } from './proto.ts';

interface Device {
  ID: string;
  health: string;
}

export class DevicePluginServer {
  private server?: Server;
  private readonly streams = new Set<ServerWritableStream<unknown, { devices: Device[] }>>();
  private count = 0;
  private resend?: NodeJS.Timeout;

  constructor(
    /** e.g. vke.volcengine.com/eni-ip */
    readonly resourceName: string,
    /** Our socket, in the kubelet's device-plugin directory. */
    readonly socketPath: string,
    private readonly resendMs = 180_000,
  ) {}

  private get devices(): Device[] {
    const prefix = this.resourceName.split('/').pop()!;
    return Array.from({ length: this.count }, (_, i) => ({ ID: `${prefix}-${i}`, health: HEALTHY }));
  }

  /** Change the advertised count and tell the kubelet (every open ListAndWatch). */
  setCount(n: number): void {
    if (n === this.count) return;
    this.count = n;
    this.broadcast();
  }

  get advertised(): number {
    return this.count;
  }

  private broadcast(): void {
    const msg = { devices: this.devices };
    for (const s of this.streams) s.write(msg);
  }

  /** Serve on the socket (a stale socket file is replaced). */
  async start(): Promise<void> {
    const { devicePluginService } = devicePluginApi();
    rmSync(this.socketPath, { force: true });
    const server = new Server();
    server.addService(devicePluginService, {
      GetDevicePluginOptions: (_call: unknown, cb: (e: null, r: object) => void) =>
        cb(null, { pre_start_required: false, get_preferred_allocation_available: false }),
      ListAndWatch: (stream: ServerWritableStream<unknown, { devices: Device[] }>) => {
        this.streams.add(stream);
        stream.write({ devices: this.devices });
        const drop = () => this.streams.delete(stream);
        stream.on('cancelled', drop);
        stream.on('close', drop);
        stream.on('error', drop);
      },
      Allocate: (call: { request: { container_requests?: unknown[] } }, cb: (e: null, r: object) => void) =>
        cb(null, { container_responses: (call.request.container_requests ?? []).map(() => ({})) }),
      PreStartContainer: (_call: unknown, cb: (e: null, r: object) => void) => cb(null, {}),
      GetPreferredAllocation: (_call: unknown, cb: (e: null, r: object) => void) => cb(null, { container_responses: [] }),
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${this.socketPath}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    this.server = server;
    this.resend = setInterval(() => this.broadcast(), this.resendMs);
    this.resend.unref();
  }

  /** Register with the kubelet through its socket. */
  register(kubeletSocket: string, timeoutMs = 10_000): Promise<void> {
    const { Registration } = devicePluginApi();
    const client = new (Registration as ServiceClientConstructor)(
      `unix://${kubeletSocket}`,
      credentials.createInsecure(),
    ) as InstanceType<ServiceClientConstructor> & {
      Register: (req: object, opts: { deadline: number }, cb: (err: Error | null) => void) => void;
    };
    const request = {
      version: API_VERSION,
      endpoint: basename(this.socketPath),
      resource_name: this.resourceName,
      options: { pre_start_required: false, get_preferred_allocation_available: false },
    };
    return new Promise((resolve, reject) => {
      client.Register(request, { deadline: Date.now() + timeoutMs }, (err: Error | null) => {
        client.close();
        if (err) reject(new Error(`registering ${this.resourceName} with the kubelet (${kubeletSocket}) failed: ${err.message}`));
        else resolve();
      });
    });
  }

  /** Stop serving and remove the socket (idempotent). */
  async stop(): Promise<void> {
    if (this.resend) clearInterval(this.resend);
    for (const s of this.streams) s.end();
    this.streams.clear();
    const server = this.server;
    this.server = undefined;
    server?.forceShutdown();
    rmSync(this.socketPath, { force: true });
  }
}
