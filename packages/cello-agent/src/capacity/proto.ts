/**
 * The kubelet device-plugin API, v1beta1 — the subset of
 * k8s.io/kubelet/pkg/apis/deviceplugin/v1beta1/api.proto that a plugin and
 * the kubelet exchange, written out here (field numbers and names as
 * upstream; gogoproto options dropped). Kept as a string so the bundle needs
 * no file beside it; parsed with protobufjs and handed to
 * @grpc/proto-loader.
 */
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import protobuf from 'protobufjs';

export const DEVICE_PLUGIN_PROTO = `
syntax = "proto3";
package v1beta1;

service Registration {
  rpc Register(RegisterRequest) returns (Empty) {}
}

message DevicePluginOptions {
  bool pre_start_required = 1;
  bool get_preferred_allocation_available = 2;
}

message RegisterRequest {
  string version = 1;
  string endpoint = 2;
  string resource_name = 3;
  DevicePluginOptions options = 4;
}

message Empty {}

service DevicePlugin {
  rpc GetDevicePluginOptions(Empty) returns (DevicePluginOptions) {}
  rpc ListAndWatch(Empty) returns (stream ListAndWatchResponse) {}
  rpc GetPreferredAllocation(PreferredAllocationRequest) returns (PreferredAllocationResponse) {}
  rpc Allocate(AllocateRequest) returns (AllocateResponse) {}
  rpc PreStartContainer(PreStartContainerRequest) returns (PreStartContainerResponse) {}
}

message ListAndWatchResponse { repeated Device devices = 1; }
message TopologyInfo { repeated NUMANode nodes = 1; }
message NUMANode { int64 ID = 1; }
message Device {
  string ID = 1;
  string health = 2;
  TopologyInfo topology = 3;
}

message PreStartContainerRequest { repeated string devices_ids = 1; }
message PreStartContainerResponse {}

message PreferredAllocationRequest { repeated ContainerPreferredAllocationRequest container_requests = 1; }
message ContainerPreferredAllocationRequest {
  repeated string available_deviceIDs = 1;
  repeated string must_include_deviceIDs = 2;
  int32 allocation_size = 3;
}
message PreferredAllocationResponse { repeated ContainerPreferredAllocationResponse container_responses = 1; }
message ContainerPreferredAllocationResponse { repeated string deviceIDs = 1; }

message AllocateRequest { repeated ContainerAllocateRequest container_requests = 1; }
message ContainerAllocateRequest { repeated string devices_ids = 1; }
message AllocateResponse { repeated ContainerAllocateResponse container_responses = 1; }
message ContainerAllocateResponse {
  map<string, string> envs = 1;
  repeated Mount mounts = 2;
  repeated DeviceSpec devices = 3;
  map<string, string> annotations = 4;
  repeated CDIDevice cdi_devices = 5;
}
message Mount { string container_path = 1; string host_path = 2; bool read_only = 3; }
message DeviceSpec { string container_path = 1; string host_path = 2; string permissions = 3; }
message CDIDevice { string name = 1; }
`;

export const API_VERSION = 'v1beta1';
export const HEALTHY = 'Healthy';
export const KUBELET_SOCKET = 'kubelet.sock';

export interface DevicePluginApi {
  Registration: ServiceClientConstructor;
  DevicePlugin: ServiceClientConstructor;
  registrationService: ServiceDefinition;
  devicePluginService: ServiceDefinition;
}

let api: DevicePluginApi | undefined;

/** The two services, loaded once (field names kept as written: resource_name, devices, ID). */
export function devicePluginApi(): DevicePluginApi {
  if (api) return api;
  const { root } = protobuf.parse(DEVICE_PLUGIN_PROTO, { keepCase: true });
  const definition = fromJSON(root.toJSON(), { keepCase: true, longs: Number, defaults: true, oneofs: true });
  const pkg = (loadPackageDefinition(definition) as GrpcObject).v1beta1 as GrpcObject;
  const Registration = pkg.Registration as ServiceClientConstructor;
  const DevicePlugin = pkg.DevicePlugin as ServiceClientConstructor;
  api = { Registration, DevicePlugin, registrationService: Registration.service, devicePluginService: DevicePlugin.service };
  return api;
}
