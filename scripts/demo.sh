#!/usr/bin/env bash
# make demo: a node's life on the simulated VPC.
#   1. bring up vpc-sim with two nodes (namespaces; the OpenAPI, metadata and
#      Kubernetes servers inside the simulated VPC)
#   2. configure Cello on each node and run the pool keeper (cello-eni pool)
#   3. start pods (network namespaces) through libcni, as containerd would
#   4. show `cello-eni list`, prove pod↔pod across nodes and pod↔node with TCP
#   5. delete the pods, show every IP went back
#   6. two networks on node1: a PodNetwork "blue" (its own subnet and security
#      group) for namespace shop; cello-agent decides, the keeper makes blue's
#      ENI, and the groups hold between pods of the one node
#   7. a fixed address: a StatefulSet pod of a Fixed PodNetwork recreated on
#      node2 keeps its address (moved from node1's ENI to node2's)
#   8. bring everything down
# Leaves nothing behind, also when interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
SIM=${DEMO_SIM:-celldemo}
WORK=$(mktemp -d /tmp/cello-demo.XXXXXX)
PODS=()
KEEPERS=()
SERVERS=()

if [ -t 1 ]; then B=$'\033[1m'; D=$'\033[2m'; G=$'\033[32m'; R=$'\033[0m'; else B= D= G= R=; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$R"; }
say() { printf '%s\n' "$*"; }
run() { printf '%s$ %s%s\n' "$D" "$*" "$R" >&2; "$@"; }
sim() { bin/vpc-sim --name "$SIM" "$@"; }
on() { local node=$1; shift; bin/vpc-sim --name "$SIM" exec "$node" -- "$@"; }

cleanup() {
  set +e
  for pid in "${SERVERS[@]}" "${KEEPERS[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  for p in "${PODS[@]}"; do ip netns del "$p" 2>/dev/null; done
  sim down >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "1. The simulated VPC: two nodes"
sim down >/dev/null 2>&1 || true
# Instances that require metadata tokens (HttpTokens=required): every metadata read needs one.
# Two security groups: default admits everyone; blue admits only its own members (as a new group does).
echo '{"metadataTokensRequired": true, "securityGroups": ["default", {"name": "blue", "ingress": [{"sourceGroup": "blue"}]}]}' >"$WORK/sim.json"
run bin/vpc-sim --name "$SIM" up --nodes 2 --config "$WORK/sim.json" >"$WORK/info.json"
jq -r '"VPC \(.vpc.id) \(.vpc.cidr) in \(.zone)",
       (.subnets[] | "  subnet \(.id) \(.cidr)"),
       (.nodes[] | "  \(.name): instance \(.instanceId) (\(.instanceType)) primary IP \(.primaryIp)"),
       "OpenAPI \(.openapi.endpoint)   metadata \(.metadata.url)   RAM role \(.metadata.ramRole)"' "$WORK/info.json"
say "metadata tokens required: a read without one answers $(on node1 curl -s -o /dev/null -w 'HTTP %{http_code}' http://100.96.0.96/volcstack/latest/instance_id)"

step "2. Cello on each node: the cello-config and the conflist"
jq '{
  subnets: [.subnets[0].id],
  securityGroups: [.securityGroups[] | select(.name == "default") | .id],
  ramRole: .metadata.ramRole,
  openApiAddress: .openapi.endpoint,
  clusterName: "demo",
  poolTarget: 3,
  poolTargetMin: 4,
  ipCooldownSec: 2,
  networkMode: "eni_shared"
}' "$WORK/info.json" >"$WORK/conf"
say "cello-config (credentials come from the instance's RAM role via metadata; none in the file):"
jq -c . "$WORK/conf"
for node in node1 node2; do
  on "$node" sh -c 'cat > /etc/cello/conf' <"$WORK/conf"
  on "$node" sh -c 'cat > /etc/cni/net.d/10-cello.conflist' <manifests/cni/10-cello.conflist
done
say "installed /etc/cello/conf and /etc/cni/net.d/10-cello.conflist on node1 and node2"

step "3. The pool keeper fills each node's warm pool"
# The keeper logs JSON lines; show them as one short line each.
brief() { jq -Rr 'fromjson? | "  \(.ts[11:19]) \(.msg)" + (if .action then " \(.action) → \(.code) (\(.latencyMs) ms)" else "" end) + (if .eni then " \(.eni)" else "" end) + (if .device then " as \(.device)" else "" end)'; }
printf '%s$ on node1 bin/cello-eni pool --once%s\n' "$D" "$R"
{ on node1 bin/cello-eni pool --once --output table 2>&1 1>&3 | brief; } 3>"$WORK/once.txt"
cat "$WORK/once.txt"
on node2 bin/cello-eni pool --once --output table >/dev/null 2>&1
for node in node1 node2; do
  on "$node" bin/cello-eni pool --watch >"$WORK/keeper-$node.log" 2>&1 &
  KEEPERS+=($!)
done
say "keepers running on node1 and node2 (cello-eni pool --watch)"

step "4. cello-eni list on node1"
run on node1 bin/cello-eni list --output table

step "5. Pods through libcni (as containerd calls the plugin)"
add_pod() { # node pod
  local node=$1 pod=$2
  ip netns add "$pod"
  PODS+=("$pod")
  on "$node" env CNI_PATH="$REPO/bin" "$REPO/test/bin/libcni-driver" -netconfpath /etc/cni/net.d -name cello \
    -netns "/var/run/netns/$pod" -id "$pod" -args "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$pod" add \
    | jq -r '.ips[0].address | split("/")[0]'
}
declare -A IP
for spec in node1:demo-a node1:demo-b node2:demo-c node2:demo-d; do
  node=${spec%%:*} pod=${spec#*:}
  IP[$pod]=$(add_pod "$node" "$pod")
  say "  $pod on $node: ${IP[$pod]}"
done
run on node1 bin/cello-eni list --output table

step "6. Real traffic"
ECHO="require('net').createServer(s=>s.end('hello from '+process.argv[1]+' to '+s.remoteAddress.replace('::ffff:',''))).listen(8080)"
CLIENT="const s=require('net').connect(8080,process.argv[1]);let d='';s.on('data',c=>d+=c);s.on('end',()=>{console.log(d);process.exit(0)});s.on('error',e=>{console.log('FAILED: '+e.message);process.exit(1)});setTimeout(()=>{console.log('FAILED: timeout');process.exit(1)},3000)"
for pod in demo-a demo-c; do
  ip netns exec "$pod" node -e "$ECHO" "$pod" &
  SERVERS+=($!)
done
on node2 node -e "$ECHO" node2 &
SERVERS+=($!)
sleep 0.7
NODE2_IP=$(jq -r '.nodes[1].primaryIp' "$WORK/info.json")
ok=1
probe() { # label, from-netns-or-node, target
  local label=$1 from=$2 target=$3 out
  if [[ $from == node* ]]; then out=$(on "$from" node -e "$CLIENT" "$target" || true)
  else out=$(ip netns exec "$from" node -e "$CLIENT" "$target" || true); fi
  if [[ $out == hello* ]]; then say "  ${G}ok${R}  $label: $out"; else say "  FAIL $label: $out"; ok=0; fi
}
probe "pod↔pod across nodes (demo-b on node1 → demo-c on node2)" demo-b "${IP[demo-c]}"
probe "pod↔pod on one node (demo-b → demo-a, both node1)" demo-b "${IP[demo-a]}"
probe "pod → another node (demo-a → node2 ${NODE2_IP})" demo-a "$NODE2_IP"
probe "node → its own pod (node1 → demo-a)" node1 "${IP[demo-a]}"
for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null; done
SERVERS=()

step "7. Delete the pods; every IP goes back to the pool"
for spec in node1:demo-a node1:demo-b node2:demo-c node2:demo-d; do
  node=${spec%%:*} pod=${spec#*:}
  on "$node" env CNI_PATH="$REPO/bin" "$REPO/test/bin/libcni-driver" -netconfpath /etc/cni/net.d -name cello \
    -netns "/var/run/netns/$pod" -id "$pod" -args "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$pod" del
  ip netns del "$pod"
done
PODS=()
for node in node1 node2; do
  stats=$(on "$node" bin/cello-ipam stats --output json)
  used=$(jq '.totals.ipv4.used' <<<"$stats")
  allocs=$(jq '.totals.allocations' <<<"$stats")
  say "  $node: $allocs allocations, $used IPs in use, $(jq '.totals.ipv4.free' <<<"$stats") free, $(jq '.totals.ipv4.cooling' <<<"$stats") cooling down"
  [ "$used" = 0 ] && [ "$allocs" = 0 ] || ok=0
done
run on node1 bin/cello-ipam stats --output table

step "8. Two networks on node1: PodNetwork blue for namespace shop"
k8s() { bin/vpc-sim --name "$SIM" k8s "$@" >/dev/null; }
BLUE_SUBNET=$(jq -r '.subnets[1].id' "$WORK/info.json")
BLUE_SG=$(jq -r '.securityGroups[] | select(.name == "blue") | .id' "$WORK/info.json")
k8s POST /api/v1/namespaces --data '{"metadata": {"name": "shop", "labels": {"team": "blue"}}}'
PODNETWORK=$(jq -nc --arg subnet "$BLUE_SUBNET" --arg sg "$BLUE_SG" '{apiVersion: "cello.volcengine.com/v1alpha1", kind: "PodNetwork", metadata: {name: "blue"},
  spec: {namespaceSelector: {matchLabels: {team: "blue"}}, subnets: {ids: [$subnet]}, securityGroupIds: [$sg], mode: "shared"}}')
say "PodNetwork: $PODNETWORK"
k8s POST /apis/cello.volcengine.com/v1alpha1/podnetworks --data "$PODNETWORK"
for spec in shop:web-0 shop:web-1 default:api-0; do
  k8s POST "/api/v1/namespaces/${spec%%:*}/pods" --data "{\"metadata\": {\"name\": \"${spec#*:}\"}, \"spec\": {\"nodeName\": \"node1\", \"containers\": [{\"name\": \"c\", \"image\": \"x\"}]}}"
done
say "pods shop/web-0, shop/web-1 and default/api-0 scheduled on node1"
run on node1 env CELLO_LOG_LEVEL=warn bin/cello-agent pod-networks --once --output table
say "the keeper on node1 makes blue its own ENI (it wakes when a pod is decided for a network):"
for _ in $(seq 60); do
  [ "$(on node1 bin/cello-ipam stats --output json | jq '.podNetworks.blue.available // 0')" -ge 2 ] && break
  sleep 0.5
done
run on node1 bin/cello-eni list --output table
add_net_pod() { # namespace pod [add|del]; the pod's netns is demo-<pod>
  if [ "${3:-add}" = add ]; then ip netns add "demo-$2"; PODS+=("demo-$2"); fi
  on node1 env CNI_PATH="$REPO/bin" "$REPO/test/bin/libcni-driver" -netconfpath /etc/cni/net.d -name cello \
    -netns "/var/run/netns/demo-$2" -id "$2" -args "IgnoreUnknown=1;K8S_POD_NAMESPACE=$1;K8S_POD_NAME=$2" "${3:-add}"
}
for spec in shop:web-0 shop:web-1 default:api-0; do
  pod=${spec#*:}
  IP[$pod]=$(add_net_pod "${spec%%:*}" "$pod" | jq -r '.ips[0].address | split("/")[0]')
  say "  ${spec%%:*}/$pod: ${IP[$pod]}"
done
for pod in web-0 api-0; do
  ip netns exec "demo-$pod" node -e "$ECHO" "$pod" &
  SERVERS+=($!)
done
sleep 0.7
probe "blue → blue on one node (web-1 → web-0): blue admits blue" demo-web-1 "${IP[web-0]}"
probe "blue → default (web-0 → api-0): default admits everyone" demo-web-0 "${IP[api-0]}"
out=$(ip netns exec demo-api-0 node -e "$CLIENT" "${IP[web-0]}" || true)
if [[ $out == FAILED* ]]; then say "  ${G}ok${R}  default → blue (api-0 → web-0) refused by the VPC, though both are on node1: $out"; else say "  FAIL default → blue went through: $out"; ok=0; fi
probe "node1 → a blue pod (kubelet probes)" node1 "${IP[web-0]}"
for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null; done
SERVERS=()
for spec in shop:web-0 shop:web-1 default:api-0; do
  add_net_pod "${spec%%:*}" "${spec#*:}" del
  ip netns del "demo-${spec#*:}"
done
PODS=()
run on node1 bin/cello-ipam stats --output table

step "9. A fixed address: PodNetwork db keeps a StatefulSet pod's address across nodes"
k8s POST /api/v1/namespaces --data '{"metadata": {"name": "data", "labels": {"app": "db"}}}'
DEFAULT_SG=$(jq -r '.securityGroups[] | select(.name == "default") | .id' "$WORK/info.json")
DB=$(jq -nc --arg subnet "$BLUE_SUBNET" --arg sg "$DEFAULT_SG" '{apiVersion: "cello.volcengine.com/v1alpha1", kind: "PodNetwork", metadata: {name: "db"},
  spec: {namespaceSelector: {matchLabels: {app: "db"}}, subnets: {ids: [$subnet]}, securityGroupIds: [$sg], allocation: {type: "Fixed", releaseAfter: "24h"}}}')
say "PodNetwork: $DB"
k8s POST /apis/cello.volcengine.com/v1alpha1/podnetworks --data "$DB"
fixed_pod() { # node add|del: data/db-0 on that node through libcni; prints its address on add
  [ "$2" = add ] && { ip netns add demo-db-0; PODS+=(demo-db-0); }
  on "$1" env CNI_PATH="$REPO/bin" "$REPO/test/bin/libcni-driver" -netconfpath /etc/cni/net.d -name cello \
    -netns /var/run/netns/demo-db-0 -id "db-0-$1" -args "IgnoreUnknown=1;K8S_POD_NAMESPACE=data;K8S_POD_NAME=db-0" "$2" | { [ "$2" = add ] && jq -r '.ips[0].address | split("/")[0]' || cat >/dev/null; }
  [ "$2" = del ] && { ip netns del demo-db-0; PODS=(); }
  return 0
}
schedule_db() { k8s POST /api/v1/namespaces/data/pods --data "{\"metadata\": {\"name\": \"db-0\"}, \"spec\": {\"nodeName\": \"$1\", \"containers\": [{\"name\": \"c\", \"image\": \"x\"}]}}"; }
podaddress() { bin/vpc-sim --name "$SIM" k8s GET /apis/cello.volcengine.com/v1alpha1/namespaces/data/podaddresses/db-0 | jq -c .spec; }
schedule_db node1
on node1 env CELLO_LOG_LEVEL=warn bin/cello-agent pod-networks --once >/dev/null
DB_IP=$(fixed_pod node1 add)
on node1 env CELLO_LOG_LEVEL=warn bin/cello-agent pod-networks --once >/dev/null
say "  data/db-0 on node1: $DB_IP; its PodAddress: $(podaddress)"
fixed_pod node1 del
k8s DELETE /api/v1/namespaces/data/pods/db-0
schedule_db node2
say "data/db-0 deleted and recreated on node2 (as a StatefulSet does); node2's agent claims its address:"
on node1 env CELLO_LOG_LEVEL=warn bin/cello-agent pod-networks --once >/dev/null
run on node2 env CELLO_LOG_LEVEL=warn bin/cello-agent pod-networks --once --output table
for _ in $(seq 60); do
  [ "$(on node2 bin/cello-ipam fixed --output json | jq -r '.[0].state')" != incoming ] && break
  sleep 0.5
done
run on node2 bin/cello-ipam fixed --output table
MOVED=$(fixed_pod node2 add)
on node2 env CELLO_LOG_LEVEL=warn bin/cello-agent pod-networks --once >/dev/null
HOLDERS=$(bin/vpc-sim --name "$SIM" state --output json 2>/dev/null | jq -r --arg ip "$DB_IP" '[.enis[] | select(.secondaryIps | index($ip)) | .id] | join(",")' || true)
if [ "$MOVED" = "$DB_IP" ]; then say "  ${G}ok${R}  data/db-0 on node2 has $MOVED again; its PodAddress: $(podaddress)"; else say "  FAIL data/db-0 on node2 has $MOVED, not $DB_IP"; ok=0; fi
[ -n "$HOLDERS" ] && say "  the cloud has $DB_IP on: $HOLDERS"
fixed_pod node2 del

step "10. Bring everything down"
for pid in "${KEEPERS[@]}"; do kill "$pid" 2>/dev/null; done
wait 2>/dev/null || true
KEEPERS=()
run bin/vpc-sim --name "$SIM" down --output table
left=$(ip netns list | grep -c "^$SIM-" || true)
say "namespaces of the sim left: $left"
[ "$left" = 0 ] || ok=0

if [ "$ok" = 1 ]; then step "${G}demo ok${R}"; else step "demo FAILED"; exit 1; fi
