# Helpers for e2e tests: each test copies the repository into a scratch
# directory (as a clean clone would have it) and runs real Bazel there, with
# its own output base, so tests never touch the developer's bazel-* trees.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
# What the suites run: Bazel, registries and image readers (apt), and crane
# (go.mod's tool block), so no suite has to remember to ask for it.
ensure_apt_packages
ensure_go_tools

SCRATCH=${STRATA_E2E_TMP:-/tmp/strata-e2e}/$(basename "$0" .sh)
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
# Output bases this test used, one per line: a file, not a variable, so that
# bz called in a subshell (`( ... )`, `$( ... )`) is recorded too.
OUTPUT_BASES_FILE=$SCRATCH/.output_bases
: > "$OUTPUT_BASES_FILE"
# Pid files of the other servers this test started (registries, recorders),
# one per line, for the same reason.
SERVER_PIDS_FILE=$SCRATCH/.server_pids
: > "$SERVER_PIDS_FILE"

# bz OUTPUT_BASE ARGS... runs bazel in the current directory with that output base.
bz() {
  local ob=$1
  shift
  echo "$ob" >> "$OUTPUT_BASES_FILE"
  bazel --output_base="$ob" "$@"
}

# stop_at_exit PIDFILE: the process whose pid PIDFILE holds is killed when
# the test exits (by cleanup_servers).
stop_at_exit() { echo "$1" >> "$SERVER_PIDS_FILE"; }

# Stop the Bazel servers (each holds ~150 MB) and the other servers this test
# started.
cleanup_servers() {
  local ob pidfile
  sort -u "$OUTPUT_BASES_FILE" 2>/dev/null | while read -r ob; do
    bazel --output_base="$ob" shutdown >/dev/null 2>&1 || true
  done
  sort -u "$SERVER_PIDS_FILE" 2>/dev/null | while read -r pidfile; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
}
trap cleanup_servers EXIT

# test_registry DIR [USER PASSWORD] starts docker-registry on a free port
# (data and registry.log in DIR; with htpasswd auth for USER if given),
# stopped when the test exits, and prints its address, 127.0.0.1:PORT.
test_registry() {
  local dir=$1 port
  port=$(free_port)
  mkdir -p "$dir"
  [ $# -lt 3 ] || htpasswd -Bbn "$2" "$3" > "$dir/htpasswd" 2>/dev/null
  stop_at_exit "$dir/pid"
  start_registry "$dir" "$port" ${3:+"$dir/htpasswd"}
  echo "127.0.0.1:$port"
}

# docker_auth REGISTRY USER PASSWORD prints a docker config.json that holds
# those credentials for REGISTRY.
docker_auth() { printf '{"auths":{"%s":{"auth":"%s"}}}' "$1" "$(printf '%s:%s' "$2" "$3" | base64)"; }

pass() { printf 'PASS: %s\n' "$*"; }

# expect_eq WHAT A B
expect_eq() {
  [ "$2" = "$3" ] || die "$1: '$2' != '$3'"
  pass "$1: $2"
}

# check WHAT CMD... runs CMD and fails the test unless it succeeds.
check() {
  local what=$1
  shift
  "$@" || die "$what"
  pass "$what"
}

# contains WHAT FILE PATTERN fails unless FILE has a line matching the
# fixed string PATTERN.
contains() {
  grep -qF -- "$3" "$2" || { cat "$2" >&2; die "$1: no line with: $3"; }
  pass "$1"
}

# --- One strata tool per test command -----------------------------------------
# A cold output base builds the strata tool (repository rule: unpack the Go
# toolchain, go build), which costs more than the rest of most suites. Suites
# whose point is not how the tool is built call share_tool: their Bazel then
# takes the tool from one directory built once per test command (keyed by the
# hash of the tool's sources, so an edited Go file is never served stale),
# through --override_repository. (Downloads, such as the Go toolchain, come
# from Bazel's repository cache, which every output base of one user already
# shares.) The bytes are the same as a per-output-base build
# (reproducibility_test.sh proves the tool byte-identical across output
# bases). Suites that prove something about
# cold output bases, the tool's build or the repository cache
# (reproducibility, remote_cache, tool, tool_no_go) do not call it.
# STRATA_E2E_SHARED_TOOL=0 turns it off (each suite builds its own, as before).
E2E_SHARED=${STRATA_E2E_TMP:-/tmp/strata-e2e}/.shared
STRATA_E2E_BAZEL_FLAGS=()

# bazel: the installed Bazel, with STRATA_E2E_BAZEL_FLAGS added to the
# commands that take repository options (not to shutdown, version, ...).
bazel() {
  local i=1 arg
  for arg in "$@"; do
    case $arg in
      -*) i=$((i + 1)) ;; # a startup option (--output_base=...)
      *) break ;;
    esac
  done
  if [ ${#STRATA_E2E_BAZEL_FLAGS[@]} -gt 0 ] && [ $i -le $# ]; then
    case ${!i} in
      build | test | run | cquery | aquery | query | info | fetch | coverage)
        command bazel "${@:1:i}" "${STRATA_E2E_BAZEL_FLAGS[@]}" "${@:i+1}"
        return
        ;;
    esac
  fi
  command bazel "$@"
}

# share_tool: this suite's Bazel uses the test command's strata tool (built
# here if no earlier suite built it from the same sources).
share_tool() {
  [ "${STRATA_E2E_SHARED_TOOL:-1}" = 0 ] && return 0
  local arch platform key dir
  case $(uname -m) in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) return 0 ;; # no shared tool: each output base builds its own
  esac
  platform=linux_$arch
  # The tool's inputs (tests and test data are not).
  key=$(cd "$ROOT" && git ls-files -co --exclude-standard go.mod go.sum go tools rules/private |
    grep -v -e '_test\.go$' -e '/testdata/' | tr '\n' '\0' | xargs -0 sha256sum | sha256sum | cut -c1-16)
  dir=$E2E_SHARED/strata_tool_$platform-$key
  mkdir -p "$E2E_SHARED"
  (
    flock 9
    [ -x "$dir/strata" ] && exit 0
    log "building the strata tool once for this test command (shared by the suites; $dir)"
    # Tools of other sources are of no more use.
    rm -rf "$E2E_SHARED/tool-src" "$E2E_SHARED/tool-ob" "$E2E_SHARED"/strata_tool_*
    copy_workspace "$E2E_SHARED/tool-src"
    cd "$E2E_SHARED/tool-src"
    command bazel --output_base="$E2E_SHARED/tool-ob" build //rules:strata >"$E2E_SHARED/tool-build.log" 2>&1
    rc=$?
    mkdir -p "$dir.tmp"
    [ $rc -eq 0 ] && cp "$E2E_SHARED/tool-ob/external/strata_tool_$platform/strata" \
      "$E2E_SHARED/tool-ob/external/strata_tool_$platform/HOW" "$dir.tmp/"
    command bazel --output_base="$E2E_SHARED/tool-ob" shutdown >/dev/null 2>&1
    cd / && rm -rf "$E2E_SHARED/tool-src" "$E2E_SHARED/tool-ob"
    [ $rc -eq 0 ] || { cat "$E2E_SHARED/tool-build.log" >&2; exit 1; }
    printf 'workspace(name = "strata_tool_%s")\n' "$platform" > "$dir.tmp/WORKSPACE"
    printf '# The strata tool shared by the e2e suites of one test command (e2e/lib.sh).\nexports_files(["strata"], visibility = ["//visibility:public"])\n' > "$dir.tmp/BUILD.bazel"
    mv "$dir.tmp" "$dir"
  ) 9>"$E2E_SHARED/.lock" || die "building the shared strata tool failed"
  STRATA_E2E_BAZEL_FLAGS=(--override_repository="strata_tool_$platform=$dir")
}
