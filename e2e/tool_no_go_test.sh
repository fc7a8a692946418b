#!/usr/bin/env bash
# The strata tool needs nothing on the machine but Bazel: with no Go anywhere
# (/usr/local/go hidden by an empty bind mount, PATH=/usr/bin:/bin, a fresh
# HOME), a fresh output base downloads the pinned Go toolchain by sha256 from
# the Go module proxy, builds the tool, and the image digest is today's.
# A release's prebuilt binaries (scripts/release.sh, served here from
# 127.0.0.1) are downloaded instead of built, byte-identical to a source
# build. A darwin/arm64 execution platform selects the darwin/arm64 binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: hiding Go needs root (unshare --mount); CI runs as root"; exit 0; }
copy_workspace "$SCRATCH/ws"
cd "$SCRATCH/ws"
proxy=$(go env GOPROXY | tr ',|' '\n\n' | grep -m1 '^http') || die "go env GOPROXY names no HTTP proxy"

bz "$SCRATCH/ob1" build //examples/hello:image >/dev/null 2>&1 || die "the ordinary build failed"
want=$(cat bazel-bin/examples/hello/image.digest)
source_tool=$(sha256sum < "$(strata_path "$SCRATCH/ob1")" | cut -c1-64)

# no_go OUTPUT_BASE VAR=VALUE...: bazel build //examples/hello:image with Go
# hidden and only the given environment. Go's caches and Bazel's repository
# cache are passed in to keep the test fast: they hold downloads, not a Go.
no_go() {
  local ob=$1
  shift
  mkdir -p "$SCRATCH/empty" "$SCRATCH/home"
  echo "$ob" >> "$OUTPUT_BASES_FILE"
  unshare --mount bash -c "mount --bind '$SCRATCH/empty' /usr/local/go && cd '$SCRATCH/ws' &&
    ! command -v go >/dev/null && [ ! -e /usr/local/go/bin/go ] &&
    env -i PATH=/usr/bin:/bin HOME='$SCRATCH/home' $* \
      bazel --output_base='$ob' build //examples/hello:image --repository_cache='${REPO_CACHE:-$HOME/.cache/rules_strata/repos}'"
}

log "no Go on the machine: the tool is built with the downloaded toolchain"
no_go "$SCRATCH/ob2" GOPROXY="$proxy" GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)" > "$SCRATCH/no_go.log" 2>&1 ||
  { cat "$SCRATCH/no_go.log" >&2; die "the build without Go failed"; }
contains "the tool was built from source" "$SCRATCH/ob2/external/strata_tool_linux_amd64/HOW" "built from source with $(sed -n 's/^toolchain //p' go.mod)"
expect_eq "image digest without Go" "$(cat bazel-bin/examples/hello/image.digest)" "$want"
expect_eq "tool built without Go is byte-identical" "$(sha256sum < "$SCRATCH/ob2/external/strata_tool_linux_amd64/strata" | cut -c1-64)" "$source_tool"

log "a release: prebuilt binaries downloaded by sha256, no Go and no GOPROXY"
port=$(free_port)
bash scripts/release.sh --url-prefix "http://127.0.0.1:$port" --out "$SCRATCH/release" --platforms linux_amd64 >/dev/null 2>&1 ||
  die "scripts/release.sh failed"
expect_eq "release binary is byte-identical to the source build" "$(sha256sum < "$SCRATCH/release/strata-linux_amd64" | cut -c1-64)" "$source_tool"
python3 -m http.server --bind 127.0.0.1 "$port" --directory "$SCRATCH/release" > "$SCRATCH/http.log" 2>&1 &
http_pid=$!
trap 'kill $http_pid 2>/dev/null; cleanup_servers' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
# A repository cache of its own: Bazel would otherwise serve the binary, keyed
# by its sha256, from an earlier run's download without asking the server.
REPO_CACHE=$SCRATCH/repos no_go "$SCRATCH/ob3" > "$SCRATCH/prebuilt.log" 2>&1 || { cat "$SCRATCH/prebuilt.log" >&2; die "the build with the prebuilt tool failed"; }
contains "the prebuilt tool was downloaded" "$SCRATCH/ob3/external/strata_tool_linux_amd64/HOW" "prebuilt $source_tool"
contains "from the release server" "$SCRATCH/http.log" "GET /strata-linux_amd64"
expect_eq "image digest with the prebuilt tool" "$(cat bazel-bin/examples/hello/image.digest)" "$want"
git checkout -q rules/private/strata_prebuilt.bzl 2>/dev/null || cp "$ROOT/rules/private/strata_prebuilt.bzl" rules/private/

log "a darwin/arm64 execution platform selects the darwin/arm64 tool"
# The selection is what is tested; a stub stands in for the binary, whose
# cross-compilation (minutes with a cold cache) proves nothing more here.
mkdir -p "$SCRATCH/stub"
touch "$SCRATCH/stub/WORKSPACE" "$SCRATCH/stub/strata"
echo 'exports_files(["strata"], visibility = ["//visibility:public"])' > "$SCRATCH/stub/BUILD.bazel"
bz "$SCRATCH/ob1" cquery 'deps(//examples/hello:config_layer, 3)' --extra_execution_platforms=//platforms:darwin_arm64 \
  --override_repository=strata_tool_darwin_arm64="$SCRATCH/stub" > "$SCRATCH/cquery.txt" 2>/dev/null || die "cquery failed"
contains "darwin/arm64 binary selected" "$SCRATCH/cquery.txt" "@strata_tool_darwin_arm64//:strata"
if grep -q "@strata_tool_linux_amd64//:strata" "$SCRATCH/cquery.txt"; then die "the linux/amd64 tool was selected for a darwin/arm64 execution platform"; fi
pass "the linux/amd64 tool is not selected there"
