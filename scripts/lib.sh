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
strata_bin() { echo "$(bazel info output_base 2>/dev/null)/external/strata_tool/strata"; }

# copy_workspace DEST copies the repository's files (tracked and new, not
# ignored) to DEST as a fresh checkout would create them: modes follow the
# caller's umask and every mtime is "now".
copy_workspace() {
  mkdir -p "$1"
  (cd "$ROOT" && git ls-files -z -co --exclude-standard | xargs -0 cp -P --parents -t "$1")
}
