#!/usr/bin/env bash
# `make image`: the DaemonSet image, built with buildah from the repository's
# own Dockerfile (manifests/image/Dockerfile) into an OCI archive,
# build/cello-image.tar (`podman load -i` or `skopeo copy oci-archive:…` read it).
#
# The Dockerfile takes its two base images as build arguments. A production
# build leaves them at the official Node images (pulled from a registry); with
# no registry (this machine, CI), this script makes both from Debian's packages
# with mmdebstrap, adds this machine's Node (Debian 12's own is 18; Cello needs
# 20), and passes them in. Each base is cached under build/base/, keyed by a
# hash of its package list, this script and the Node it holds: a second build
# makes no base again.
#
#   scripts/image.sh                 # build/cello-image.tar from local bases
#   CELLO_IMAGE_BASES=official scripts/image.sh   # the Dockerfile's defaults (needs a registry)
#   CELLO_IMAGE_TAG=cello:0.1.0      # the name inside the archive (default cello:0.1.0)
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=${CELLO_IMAGE_TAG:-cello:0.1.0}
OUT=build/cello-image.tar
SUITE=bookworm
MIRRORS=("deb http://deb.debian.org/debian $SUITE main" "deb http://deb.debian.org/debian-security $SUITE-security main")
# What the running image needs beside Node: ip/tc, nsenter/setpriv, sysctl (the datapath), libstdc++
# (Node). Node has its own CA certificates.
RUNTIME_PACKAGES=(iproute2 util-linux procps libc-bin libstdc++6)
# What the build stage needs beside Node: a compiler for better-sqlite3, and certificates for npm.
BUILD_PACKAGES=(python3 make g++ ca-certificates)
# Files no image needs (docs, man pages, translations).
EXCLUDES=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*')

for cmd in buildah; do
  command -v "$cmd" >/dev/null || { echo "image: $cmd is missing (make setup installs it)" >&2; exit 1; }
done
mkdir -p build/base

# Bump when base() below changes what goes into a base.
BASE_RECIPE=2
NODE_BIN=$(readlink -f "$(command -v node)")
NODE_MODULES=$(readlink -f "$(dirname "$NODE_BIN")/../lib/node_modules")
node_key=$(sha256sum "$NODE_BIN" | cut -c1-16)
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
ca_key=$( (cat "$CA_BUNDLE" 2>/dev/null || true) | sha256sum | cut -c1-16)

# base NAME PACKAGES…: build/base/NAME-KEY.tar (an OCI archive), made once per key; prints its path.
base() {
  local name=$1; shift
  local key extra=
  [ "$name" != build ] || extra=$ca_key
  key=$(printf '%s\n' "$SUITE" "$@" "${MIRRORS[@]}" "${EXCLUDES[@]}" "$node_key" "$BASE_RECIPE" $extra | sha256sum | cut -c1-12)
  local archive="build/base/$name-$key.tar"
  # buildah's storage keeps each base too: another clone on this machine (CI's) finds it there.
  local ref="localhost/cello-base-$name:$key"
  if [ ! -f "$archive" ] && buildah inspect --type image "$ref" >/dev/null 2>&1; then
    buildah push --quiet "$ref" "oci-archive:$archive.tmp" >/dev/null && mv "$archive.tmp" "$archive"
    echo "image: $archive from buildah's storage" >&2
  fi
  if [ ! -f "$archive" ]; then
    command -v mmdebstrap >/dev/null || { echo "image: mmdebstrap is missing (make setup installs it)" >&2; exit 1; }
    local tmp
    tmp=$(mktemp -d build/base/.tmp.XXXXXX)
    trap 'rm -rf "$tmp"' RETURN
    local start=$SECONDS
    echo "image: making the $name base from Debian packages: $*" >&2
    local hooks=(
      --customize-hook="copy-in $NODE_BIN /usr/bin"
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*'
    )
    if [ "$name" = build ]; then
      # Node's headers, so node-gyp compiles better-sqlite3 without downloading them; npm for pnpm.
      # This machine's CA bundle too: npm's registry may be reached through a proxy that signs with a local CA.
      hooks+=(--customize-hook="copy-in /usr/include/node /usr/include"
        --customize-hook="upload $CA_BUNDLE /etc/ssl/certs/ca-certificates.crt"
        --customize-hook='mkdir -p "$1"/usr/lib/node_modules'
        --customize-hook="copy-in $NODE_MODULES/npm $NODE_MODULES/pnpm /usr/lib/node_modules"
        --customize-hook='ln -s ../lib/node_modules/pnpm/bin/pnpm.cjs "$1"/usr/bin/pnpm'
        --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1"/usr/bin/npm'
        --customize-hook='printf "nodedir=/usr\n" > "$1"/root/.npmrc')
    fi
    # merged /usr made by the hook, not by the usrmerge package (which brings Perl, 50 MB)
    mmdebstrap --quiet --variant=minbase --include="$(IFS=,; echo "$*")" "${EXCLUDES[@]}" \
      --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr "${hooks[@]}" \
      "$SUITE" "$tmp/rootfs.tar" "${MIRRORS[@]}" >&2 || { echo "image: mmdebstrap failed ($name base)" >&2; return 1; }
    local c
    c=$(buildah from --quiet scratch)
    buildah add --quiet "$c" "$tmp/rootfs.tar" / >/dev/null
    buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash "$c"
    buildah commit --quiet --format oci --rm "$c" "$ref" >/dev/null
    buildah push --quiet "$ref" "oci-archive:$tmp/image.tar" >/dev/null
    rm -f build/base/"$name"-*.tar   # an older key's
    mv "$tmp/image.tar" "$archive"
    echo "image: $archive in $((SECONDS - start)) s ($(du -h "$archive" | cut -f1))" >&2
  fi
  echo "$archive"
}

args=()
if [ "${CELLO_IMAGE_BASES:-local}" != official ]; then
  runtime=$(base runtime "${RUNTIME_PACKAGES[@]}")
  build=$(base build "${BUILD_PACKAGES[@]}")
  args+=(--build-arg "BASE_IMAGE=oci-archive:$PWD/$runtime" --build-arg "BUILD_IMAGE=oci-archive:$PWD/$build")
fi

start=$SECONDS
previous=$(buildah images --noheading --format '{{.ID}}' "$TAG" 2>/dev/null | head -1 || true)
# chroot isolation: RUN steps need no runtime (this VM's runc cannot raise rlimits) and share the
# build machine's network (npm and Debian's mirrors).
buildah bud --quiet --isolation chroot --format oci \
  -f manifests/image/Dockerfile --ignorefile manifests/image/Dockerfile.dockerignore "${args[@]}" -t "$TAG" . >/dev/null
rm -f "$OUT.tmp"
buildah push --quiet "$TAG" "oci-archive:$OUT.tmp:$TAG" >/dev/null
mv "$OUT.tmp" "$OUT"
current=$(buildah images --noheading --format '{{.ID}}' "$TAG" | head -1)
# The previous build of this tag, now untagged, is not kept.
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then buildah rmi "$previous" >/dev/null 2>&1 || true; fi
size=$(buildah images --noheading --format '{{.Size}}' "$TAG" 2>/dev/null | head -1)
echo "image: $OUT ($TAG; $(du -h "$OUT" | cut -f1) archive, ${size:-?} unpacked) in $((SECONDS - start)) s"
