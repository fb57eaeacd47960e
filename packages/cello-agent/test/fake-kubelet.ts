/**
 * The kubelet's side of the device-plugin API v1beta1 (the real kubelet
 * cannot run here): a Registration server on `kubelet.sock` that, like the
 * kubelet's device manager, dials the plugin's endpoint in the same
 * directory on Register and follows its ListAndWatch stream. Its proto is
 * written here separately from the agent's (only what the kubelet uses),
 * from the field numbers of k8s.io/kubelet/pkg/apis/deviceplugin/v1beta1.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, type GrpcObject, loadPackageDefinition, Server, ServerCredentials, type ServiceClientConstructor } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const KUBELET_PROTO = `
syntax = "proto3";
package v1beta1;
service Registration { rpc Register(RegisterRequest) returns (Empty) {} }
service DevicePlugin {
  rpc ListAndWatch(Empty) returns (stream ListAndWatchResponse) {}
  rpc Allocate(AllocateRequest) returns (AllocateResponse) {}
}
message Empty {}
message DevicePluginOptions { bool pre_start_required = 1; bool get_preferred_allocation_available = 2; }
message RegisterRequest { string version = 1; string endpoint = 2; string resource_name = 3; DevicePluginOptions options = 4; }
message Device { string ID = 1; string health = 2; }
message ListAndWatchResponse { repeated Device devices = 1; }
message ContainerAllocateRequest { repeated string devices_ids = 1; }
message AllocateRequest { repeated ContainerAllocateRequest container_requests = 1; }
message ContainerAllocateResponse { map<string, string> envs = 1; }
message AllocateResponse { repeated ContainerAllocateResponse container_responses = 1; }
`;

function services() {
  const { root } = protobuf.parse(KUBELET_PROTO, { keepCase: true });
  const pkg = (loadPackageDefinition(fromJSON(root.toJSON(), { keepCase: true, defaults: true })) as GrpcObject).v1beta1 as GrpcObject;
  return { Registration: pkg.Registration as ServiceClientConstructor, DevicePlugin: pkg.DevicePlugin as ServiceClientConstructor };
}

export interface Registration {
  version: string;
  endpoint: string;
  resource_name: string;
}

interface Device {
  ID: string;
  health: string;
}

export class FakeKubelet {
  readonly registrations: Registration[] = [];
  /** The last device list each resource sent. */
  readonly devices = new Map<string, Device[]>();
  private server?: Server;
  private readonly clients: Array<{ close(): void }> = [];

  constructor(readonly dir: string) {}

  get socket(): string {
    return join(this.dir, 'kubelet.sock');
  }

  count(resource: string): number | undefined {
    return this.devices.get(resource)?.length;
  }

  async start(): Promise<void> {
    const { Registration, DevicePlugin } = services();
    rmSync(this.socket, { force: true });
    const server = new Server();
    server.addService(Registration.service, {
      Register: (call: { request: Registration }, cb: (err: Error | null, r?: object) => void) => {
        const req = call.request;
        if (req.version !== 'v1beta1') return cb(new Error(`unsupported device plugin API version ${req.version}`));
        this.registrations.push({ version: req.version, endpoint: req.endpoint, resource_name: req.resource_name });
        cb(null, {});
        // As the kubelet does: dial the plugin and follow its device list.
        const plugin = new DevicePlugin(`unix://${join(this.dir, req.endpoint)}`, credentials.createInsecure()) as InstanceType<ServiceClientConstructor> & {
          ListAndWatch(req: object): NodeJS.EventEmitter;
        };
        this.clients.push(plugin);
        const stream = plugin.ListAndWatch({});
        stream.on('data', (msg: { devices: Device[] }) => this.devices.set(req.resource_name, msg.devices));
        stream.on('error', () => undefined);
      },
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${this.socket}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    this.server = server;
  }

  /** As a kubelet restart does: plugins forgotten, every socket in the directory removed, a new kubelet.sock. */
  async restart(): Promise<void> {
    this.stop();
    this.devices.clear();
    for (const name of readdirSync(this.dir)) if (name.endsWith('.sock')) rmSync(join(this.dir, name), { force: true });
    await this.start();
  }

  stop(): void {
    for (const c of this.clients.splice(0)) c.close();
    this.server?.forceShutdown();
    this.server = undefined;
    rmSync(this.socket, { force: true });
  }
}
