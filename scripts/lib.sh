# Shared helpers for scripts/ and e2e/. Source it; it installs nothing by
# itself until one of the ensure_* functions is called.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/.cache/bin
export PATH=$BIN:/usr/local/go/bin:$PATH

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# ensure_apt_packages installs Debian's offline Bazel 4.2.3 and the
# independent image readers the tests use, if any is missing.
ensure_apt_packages() {
  local missing=()
  command -v bazel >/dev/null || missing+=(bazel-bootstrap)
  command -v skopeo >/dev/null || missing+=(skopeo)
  command -v umoci >/dev/null || missing+=(umoci)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v curl >/dev/null || missing+=(curl)
  command -v podman >/dev/null || missing+=(podman) # a real engine for `bazel run :image.load`
  command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static) # runs arm64 binaries (go_multiarch_test)
  command -v pigz >/dev/null || missing+=(pigz) # the tar + pigz genrule baseline of bench/graph_bench.sh
  command -v gcc >/dev/null && [ -e /usr/include/stdlib.h ] || missing+=(gcc libc6-dev) # cgo, which go test -race needs
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (Debian packages)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# ensure_go_tools builds crane and buildifier at the versions pinned in go.mod
# (the `tool` block) into .cache/bin.
ensure_go_tools() {
  command -v go >/dev/null || die "Go is not installed (fix: install Go 1.21+; go.mod pins the exact toolchain)"
  mkdir -p "$BIN"
  local t
  for t in github.com/google/go-containerregistry/cmd/crane github.com/bazelbuild/buildtools/buildifier; do
    local name=${t##*/}
    if [ ! -x "$BIN/$name" ] || [ "$ROOT/go.sum" -nt "$BIN/$name" ]; then
      (cd "$ROOT" && GOFLAGS=-mod=readonly go build -o "$BIN/$name" "$t")
    fi
  done
}

# strata_bin prints the path of the strata tool Bazel built for the workspace
# in the current directory.
strata_bin() { strata_path "$(bazel info output_base 2>/dev/null)"; }

# copy_workspace DEST copies the repository's files (tracked and new, not
# ignored) to DEST as a fresh checkout would create them: modes follow the
# caller's umask and every mtime is "now".
copy_workspace() {
  mkdir -p "$1"
  (cd "$ROOT" && git ls-files -z -co --exclude-standard | xargs -0 cp -P --parents -t "$1")
}

# The local registry the examples pull from and push to. Its address is fixed
# because //examples/on_base pins its base there (see WORKSPACE).
EXAMPLE_REGISTRY=127.0.0.1:15000

# registry_up HOST:PORT: true if a registry answers there (200, or 401 with auth).
registry_up() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://$1/v2/" 2>/dev/null) || return 1
  [ "$code" = 200 ] || [ "$code" = 401 ]
}

# start_registry DIR PORT [HTPASSWD_FILE]: runs Debian's docker-registry (the
# CNCF distribution registry) on 127.0.0.1:PORT with storage and an access log
# in DIR, optionally with htpasswd auth; waits until it answers.
start_registry() {
  local dir=$1 port=$2 htpasswd=${3:-}
  mkdir -p "$dir/data"
  cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
  if [ -n "$htpasswd" ]; then
    printf 'auth:\n  htpasswd:\n    realm: strata-test\n    path: %s\n' "$htpasswd" >> "$dir/config.yml"
  fi
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 9>&- &
  echo $! > "$dir/pid"
  local i
  for i in $(seq 1 100); do
    registry_up "127.0.0.1:$port" && return 0
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/registry.log" >&2; die "docker-registry on port $port exited"; }
    sleep 0.1
  done
  die "docker-registry on port $port did not answer within 10 s"
}

stop_registry() { [ -f "$1/pid" ] && kill "$(cat "$1/pid")" 2>/dev/null; rm -f "$1/pid"; }

# free_port prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 20000))
    (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  die "no free port found"
}

# ensure_example_registry starts the example registry unless one answers
# already; it keeps running after the script so you can look at what it holds.
# Suites run two at a time (scripts/test.sh), so the start is locked (on
# descriptor 9, which the registry and Bazel servers started under it do not
# inherit: a server holding it would hold the lock for its whole life).
ensure_example_registry() {
  registry_up "$EXAMPLE_REGISTRY" && return 0
  lock_example 9 example-registry
  if ! registry_up "$EXAMPLE_REGISTRY"; then
    log "starting docker-registry on $EXAMPLE_REGISTRY (data in $ROOT/.cache/registry)"
    start_registry "$ROOT/.cache/registry" "${EXAMPLE_REGISTRY##*:}"
  fi
  exec 9>&-
}

# lock_example FD NAME takes .cache/NAME.lock on FD, waiting at most 5 minutes.
lock_example() {
  mkdir -p "$ROOT/.cache"
  eval "exec $1>\"\$ROOT/.cache/$2.lock\""
  flock -w 300 "$1" || die "$ROOT/.cache/$2.lock is still held after 5 minutes (fix: stop the process holding it: fuser -v $ROOT/.cache/$2.lock)"
}

# seed_example_base pushes //examples/base:base to the example registry with
# crane, and checks it lands under the digest WORKSPACE and MODULE.bazel pin.
# It builds in an output base of its own (no bazel-* links in the checkout,
# which tests never touch) and stops that Bazel server when done.
# It is locked like ensure_example_registry: two suites may seed at once.
seed_example_base() {
  lock_example 9 seed-example-base
  seed_example_base_locked
  exec 9>&-
}
seed_example_base_locked() {
  local ob=$ROOT/.cache/seed-ob want pinned f bin
  local rc=0
  (cd "$ROOT" && bazel --output_base="$ob" build --symlink_prefix=/ //examples/base:base --output_groups=+oci_layout >/dev/null 2>&1 9>&-) || rc=$?
  bin=$(cd "$ROOT" && bazel --output_base="$ob" info bazel-bin 2>/dev/null 9>&-)
  (cd "$ROOT" && bazel --output_base="$ob" shutdown >/dev/null 2>&1) || true
  [ $rc -eq 0 ] || die "bazel build //examples/base:base failed"
  want=$(cat "$bin/examples/base/base.digest")
  # WORKSPACE (Bazel 4) and MODULE.bazel (bzlmod) pin the same base.
  for f in WORKSPACE MODULE.bazel; do
    pinned=$(sed -n 's/^ *digest = "\(sha256:[0-9a-f]*\)",  # strata_example_base$/\1/p' "$ROOT/$f")
    [ "$want" = "$pinned" ] || die "//examples/base:base has digest $want but $f pins $pinned for strata_example_base (fix: update $f)"
  done
  crane push "$bin/examples/base/base.oci" "$EXAMPLE_REGISTRY/strata/base:1" >/dev/null 2>&1 ||
    die "crane push of the example base to $EXAMPLE_REGISTRY failed"
}

# ensure_bazel_remote builds github.com/buchgr/bazel-remote (a real Bazel
# remote cache, HTTP and gRPC) at a pinned version from the Go module proxy.
BAZEL_REMOTE_VERSION=v2.6.1
ensure_bazel_remote() {
  [ -x "$BIN/bazel-remote-$BAZEL_REMOTE_VERSION" ] && return 0
  log "building bazel-remote $BAZEL_REMOTE_VERSION from the Go module proxy"
  local dir src
  dir=$(go mod download -json "github.com/buchgr/bazel-remote/v2@$BAZEL_REMOTE_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || die "go mod download of bazel-remote failed"
  src=$(mktemp -d)
  cp -r "$dir/." "$src/" && chmod -R u+w "$src"
  (cd "$src" && CGO_ENABLED=0 GOFLAGS= go build -o "$BIN/bazel-remote-$BAZEL_REMOTE_VERSION" .) || die "building bazel-remote failed"
  rm -rf "$src"
}

# start_bazel_remote DIR HTTP_PORT GRPC_PORT: a fresh cache in DIR.
start_bazel_remote() {
  local dir=$1
  mkdir -p "$dir/data"
  "$BIN/bazel-remote-$BAZEL_REMOTE_VERSION" --dir "$dir/data" --max_size 2 \
    --http_address "127.0.0.1:$2" --grpc_address "127.0.0.1:$3" >"$dir/bazel-remote.log" 2>&1 &
  echo $! > "$dir/pid"
  local i
  for i in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$2/status" && return 0
    sleep 0.1
  done
  cat "$dir/bazel-remote.log" >&2
  die "bazel-remote did not start"
}

# strata_path OUTPUT_BASE [REPO]: the absolute path of the strata tool that
# Bazel built in OUTPUT_BASE for the workspace in the current directory.
# Asks Bazel rather than guessing: under bzlmod the repository's directory
# is named by its canonical name. REPO is how the workspace names
# rules_strata ("" inside this repository, "@rules_strata" elsewhere).
strata_path() {
  local rel
  rel=$(bazel --output_base="$1" cquery "${2:-}//rules:strata" --output=starlark \
    --starlark:expr='target.files.to_list()[0].path' 2>/dev/null) || return 1
  echo "$1/$rel"  # external/<repository>/strata, below the output base
}

# --- Buildbarn: a real remote-execution (REAPI) service for e2e tests --------
# Its sources and start/stop scripts are not part of this repository: they sit
# in ../shared/buildbarn beside the clone (see its README), or wherever
# STRATA_BUILDBARN_SRC points. A user's clone usually has none; tests that
# need it then say they were skipped.
BUILDBARN_SRC=${STRATA_BUILDBARN_SRC:-$ROOT/../shared/buildbarn}

# buildbarn_missing prints why Buildbarn cannot be used here; prints nothing
# when it can.
buildbarn_missing() {
  local f
  for f in build.sh start.sh stop.sh; do
    [ -f "$BUILDBARN_SRC/$f" ] || { echo "no Buildbarn sources at $BUILDBARN_SRC (missing $f; set STRATA_BUILDBARN_SRC or put shared/buildbarn beside the clone)"; return 0; }
  done
  command -v go >/dev/null || echo "Go is not installed (needed once, to build Buildbarn)"
}

# ensure_buildbarn builds bb_storage, bb_scheduler, bb_worker and bb_runner
# once per machine into a per-user cache keyed by the source archives' names
# (a fresh CI clone reuses it; ~8 min cold, nothing when built) and exports
# BB_BIN, which start.sh reads.
ensure_buildbarn() {
  local storage remote
  storage=$(cd "$BUILDBARN_SRC" && ls bb-storage-*.tar.gz) || die "no bb-storage-*.tar.gz in $BUILDBARN_SRC"
  remote=$(cd "$BUILDBARN_SRC" && ls bb-remote-execution-*.tar.gz) || die "no bb-remote-execution-*.tar.gz in $BUILDBARN_SRC"
  storage=${storage#bb-storage-} remote=${remote#bb-remote-execution-}
  export BB_BIN=${XDG_CACHE_HOME:-$HOME/.cache}/rules_strata/tools/buildbarn-${storage%.tar.gz}-${remote%.tar.gz}
  mkdir -p "$BB_BIN"
  ls "$BB_BIN"/.built-* >/dev/null 2>&1 || log "building Buildbarn into $BB_BIN (once per machine; ~8 min with a cold Go module cache)"
  # The lock keeps two test runs on one machine from building it twice at once.
  flock "$BB_BIN/.lock" bash "$BUILDBARN_SRC/build.sh" "$BB_BIN" >"$BB_BIN/.build.log" 2>&1 ||
    { tail -20 "$BB_BIN/.build.log" >&2; die "building Buildbarn failed (log: $BB_BIN/.build.log)"; }
}

# start_buildbarn STATE_DIR: storage, scheduler, worker and runner on free
# loopback ports; sets BB_EXECUTOR (grpc://127.0.0.1:PORT). Environment such
# as BB_RUNNER_NO_NETWORK=1 passes through to start.sh. Stop it with
# stop_buildbarn STATE_DIR (put that in an EXIT trap).
start_buildbarn() {
  bash "$BUILDBARN_SRC/start.sh" "$1" >"$1.start.log" 2>&1 ||
    { cat "$1.start.log" >&2; die "Buildbarn did not start (logs in $1/logs)"; }
  BB_EXECUTOR=$(cat "$1/executor")
}

stop_buildbarn() { [ -d "$1" ] && bash "$BUILDBARN_SRC/stop.sh" "$1" >/dev/null 2>&1; return 0; }

# --- The rules_go example (e2e/workspaces/go_multiarch) -----------------------
# rules_go v0.34.0 is the newest that runs on Bazel 4.2.3, and only with a Go
# SDK <= 1.19 (later SDKs ship no prebuilt std). Both come from the Go module
# proxy and are kept per machine; they belong to the example, not the ruleset.
RULES_GO_VERSION=v0.34.0
GO_SDK_VERSION=go1.19.13

# fetch_module MODULE@VERSION DEST: a writable copy of the module's files.
fetch_module() {
  local mod=$1 dest=$2 json dir
  [ -d "$dest" ] && return 0
  json=$(go mod download -json "$mod") || return 1
  dir=$(jq -r .Dir <<<"$json")
  [ -d "$dir" ] || return 1
  rm -rf "$dest.tmp"
  cp -a "$dir" "$dest.tmp"
  chmod -R u+w "$dest.tmp"
  mv "$dest.tmp" "$dest"
}

# go_multiarch_deps WORKSPACE_DIR: fetches rules_go and the Go SDK once per
# machine and writes their paths into WORKSPACE_DIR/local_paths.bzl. On
# failure it prints why and returns 1.
go_multiarch_deps() {
  local tools=${XDG_CACHE_HOME:-$HOME/.cache}/rules_strata/tools
  local rules_go=$tools/rules_go-$RULES_GO_VERSION go_sdk=$tools/$GO_SDK_VERSION.linux-amd64
  mkdir -p "$tools"
  command -v go >/dev/null || { echo "no go command to fetch rules_go and the Go SDK from the module proxy"; return 1; }
  fetch_module "github.com/bazelbuild/rules_go@$RULES_GO_VERSION" "$rules_go" ||
    { echo "go mod download github.com/bazelbuild/rules_go@$RULES_GO_VERSION failed"; return 1; }
  if [ ! -x "$go_sdk/bin/go" ]; then
    fetch_module "golang.org/toolchain@v0.0.1-$GO_SDK_VERSION.linux-amd64" "$go_sdk" ||
      { echo "go mod download golang.org/toolchain@v0.0.1-$GO_SDK_VERSION.linux-amd64 failed"; return 1; }
    # The module zip keeps no file modes.
    chmod +x "$go_sdk"/bin/* "$go_sdk"/pkg/tool/linux_amd64/*
  fi
  printf 'RULES_GO = "%s"\nGO_SDK = "%s"\n' "$rules_go" "$go_sdk" > "$1/local_paths.bzl"
}

# --- cosign and oras: independent readers of signatures and referrers ---------
# Built once per machine from the Go module proxy into
# ~/.cache/rules_strata/tools/<name>-<version>/ (a few minutes each, cold).
COSIGN_VERSION=v2.6.5
ORAS_VERSION=v1.3.6

# ensure_go_install_tool NAME VERSION PACKAGE@VERSION: go-installs PACKAGE into
# the per-machine tool cache unless built already; prints the binary's path.
ensure_go_install_tool() {
  local name=$1 version=$2 pkg=$3
  local dir=${XDG_CACHE_HOME:-$HOME/.cache}/rules_strata/tools/$name-$version
  mkdir -p "$dir"
  if [ ! -x "$dir/$name" ]; then
    log "building $name $version into $dir (once per machine; 5 to 30 minutes, more on a busy machine)"
    # The lock keeps two test runs on one machine from building it twice at once.
    (flock 9
     [ -x "$dir/$name" ] || (cd "$dir" && GOBIN=$dir.tmp CGO_ENABLED=0 GOFLAGS= timeout 3600 nice go install "$pkg") >"$dir/.build.log" 2>&1 &&
       { [ -x "$dir/$name" ] || mv "$dir.tmp/$name" "$dir/$name"; }
    ) 9>"$dir/.lock" || { tail -5 "$dir/.build.log" >&2; rm -rf "$dir.tmp"; die "building $name $version failed (log: $dir/.build.log)"; }
    rm -rf "$dir.tmp"
  fi
  echo "$dir/$name"
}

# ensure_cosign / ensure_oras print the path of the binary, building it first if needed.
ensure_cosign() { ensure_go_install_tool cosign "$COSIGN_VERSION" "github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN_VERSION"; }
ensure_oras() { ensure_go_install_tool oras "$ORAS_VERSION" "oras.land/oras/cmd/oras@$ORAS_VERSION"; }

# --- Benchmarks ----------------------------------------------------------------
# bench_workspace DIR: a copy of the repository in DIR (cd there) with one
# more package, //bench_trivial:trivial, a genrule that writes one line: the
# "Bazel alone" baseline that benchmarks divide a build's wall time by.
bench_workspace() {
  copy_workspace "$1"
  cd "$1"
  mkdir -p bench_trivial
  # trivial: Bazel's own floor. trivial_cc: the same plus what any C++ target
  # costs a fresh output base (the C++ toolchain's auto-configuration).
  echo 'int main(void) { return 0; }' > bench_trivial/trivial.c
  cat > bench_trivial/BUILD.bazel <<'EOF'
genrule(name = "trivial", outs = ["trivial.txt"], cmd = "echo hi > $@")

cc_binary(name = "trivial_cc", srcs = ["trivial.c"])
EOF
}
