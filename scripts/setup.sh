#!/usr/bin/env bash
# Install what a fresh Debian 12 machine lacks to build, test and demo Cello.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  iproute2 util-linux procps iptables jq curl             # ip/tc, nsenter/unshare, ps/sysctl, the sim's source check, the demo, HTTP from inside nodes and pods (agent, gc tests)
  kmod                                                    # /sbin/modprobe, which the kernel calls to load ifb, ipvlan…
  hyperfine time strace                                   # benchmarks (hyperfine; /usr/bin/time for CPU seconds; strace counts processes)
  golang-go golang-github-appc-cni-dev                    # the libcni test driver (built offline)
  containernetworking-plugins                             # reference plugins: ptp, host-local, bandwidth…
  python3 make g++                                        # better-sqlite3 builds from source
  containerd runc                                         # the real node path: containerd's CRI drives cello-cni (test/cri; the pause image is built with gcc)
  podman buildah skopeo mmdebstrap                        # make image: the DaemonSet image from the Dockerfile, bases from Debian packages; run under podman
)

# `setup.sh --node-only` (make deps): only the npm packages, which needs no
# root, for `make check`, `make build` and `make typecheck` on a developer's
# machine. The full setup also installs Debian packages and the libcni driver.
node_only=false
[ "${1:-}" = --node-only ] && node_only=true

# Node.js 20 is a prerequisite, not installed here: Debian 12's own nodejs is 18.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
  echo "setup: Node.js 20.19 or newer is needed (found: $(node --version 2>/dev/null || echo none)); Debian 12's own nodejs is 18, install Node 20 first" >&2
  exit 1
fi

missing=()
$node_only && DEBIAN_PACKAGES=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v pnpm >/dev/null 2>&1 && $node_only; then
  echo "setup: pnpm is missing: \`npm install -g pnpm@10\` (or \`make setup\` as root)" >&2
  exit 1
fi
if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm 10 with npm (corepack's download fails its signature check here)"
  npm install -g --silent pnpm@10 >/dev/null
fi

# pnpm is fast when nothing changed; the stamp skips even that.
if [ ! -f node_modules/.setup-stamp ] || [ pnpm-lock.yaml -nt node_modules/.setup-stamp ] || [ package.json -nt node_modules/.setup-stamp ]; then
  echo "setup: pnpm install"
  log=$(mktemp)
  if ! pnpm install --frozen-lockfile --reporter=append-only >"$log" 2>&1; then
    cat "$log"; rm -f "$log"; exit 1
  fi
  rm -f "$log"
  touch node_modules/.setup-stamp
fi

# tap compiles its plugin list (.taprc `plugin:`) into node_modules. A run
# that finds that build stale rebuilds it but still runs with the stale list:
# tap's ts-node plugin and unused plugins loaded into every test process,
# ~3 s of CPU each. So build it here, before any run.
if [ ! -f node_modules/.tap-build-stamp ] || [ .taprc -nt node_modules/.tap-build-stamp ] || [ node_modules/.setup-stamp -nt node_modules/.tap-build-stamp ]; then
  node_modules/.bin/tap build >/dev/null
  touch node_modules/.tap-build-stamp
fi

# Bun compiles cello-cni (scripts/build.mjs). It is a pinned devDependency
# from the npm registry (@oven/bun-linux-x64-baseline), so pnpm installed it.
bun=node_modules/@oven/bun-linux-x64-baseline/bin/bun
if ! "$bun" --version >/dev/null 2>&1; then
  echo "setup: $bun does not run: pnpm should have installed it (x86-64 Linux with glibc only; see docs/install.md)" >&2
  exit 1
fi

$node_only && exit 0

# The libcni driver: a small Go program against Debian's libcni, built offline.
driver_src=test/libcni-driver/main.go
driver_bin=test/bin/libcni-driver
if [ ! -x "$driver_bin" ] || [ "$driver_src" -nt "$driver_bin" ]; then
  echo "setup: building $driver_bin against Debian's libcni"
  mkdir -p test/bin
  GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="${GOCACHE:-/tmp/cello-gocache}" GOFLAGS=-mod=mod \
    go build -o "$driver_bin" "./$(dirname "$driver_src")"
fi
