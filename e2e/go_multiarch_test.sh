#!/usr/bin/env bash
# A real cross-compiled program in an index: e2e/workspaces/go_multiarch builds
# a pure Go program with rules_go's go_binary, puts it in an image and splits
# the image over //platforms:linux_amd64 and linux_arm64 with image_index.
# Each child's binary must be an ELF for its child's architecture (`file`) and
# print its own GOARCH (natively for amd64, under Debian's qemu-aarch64-static
# for arm64); docker-registry accepts the pushed index and crane's
# --platform linux/arm64 resolves the arm64 child.
#
# rules_go v0.34.0 is the newest that runs on Bazel 4.2.3, and only with a Go
# SDK <= 1.19 (later SDKs ship no prebuilt std). Both come from the Go module
# proxy (`go mod download`) and are kept per machine under
# ~/.cache/rules_strata/tools/; they belong to this test, not to the ruleset.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
share_tool # one strata tool per test command: its build is not what this suite tests

skip() {
  echo "SKIP: go_multiarch_test: $*; the rules_go cross-compiled index was NOT tested"
  exit 0
}
[ "$(uname -m)" = x86_64 ] || skip "the Go SDK fetched here is linux-amd64 and this machine is $(uname -m)"
command -v qemu-aarch64-static >/dev/null || skip "qemu-aarch64-static is missing (apt-get install qemu-user-static)"

copy_workspace "$SCRATCH/repo"
WS=$SCRATCH/repo/e2e/workspaces/go_multiarch
OB=$SCRATCH/ob
cd "$WS"
why=$(go_multiarch_deps "$WS") || skip "$why"

start=$SECONDS
bz "$OB" build //:index --output_groups=+oci_layout >"$SCRATCH/build.log" 2>&1 ||
  { cat "$SCRATCH/build.log" >&2; die "//:index (rules_go go_binary for two platforms) does not build"; }
pass "//:index builds ($((SECONDS - start)) s)"

index=bazel-bin/index.index.json
platforms=$(jq -r '.manifests[] | .platform.os + "/" + .platform.architecture' "$index" | tr '\n' ' ')
expect_eq "the index's children" "$platforms" "linux/amd64 linux/arm64 "
layout=bazel-bin/index.oci
[ -d "$layout/blobs/sha256" ] || die "output group oci_layout gave no $layout"

# child_binary N DIR: unpacks child N's layers (from the OCI layout's blobs,
# found through the index and the child's manifest) into DIR.
blob() { echo "$layout/blobs/sha256/${1#sha256:}"; }
child_binary() {
  local manifest
  manifest=$(blob "$(jq -r ".manifests[$1].digest" "$index")")
  mkdir -p "$2"
  jq -r '.layers[].digest' "$manifest" | while read -r d; do
    tar -xf "$(blob "$d")" -C "$2" || die "child $1: layer $d is not a tar"
  done
  [ -f "$2/app/hello" ] || die "child $1 has no /app/hello"
}
amd=$SCRATCH/amd64
arm=$SCRATCH/arm64
child_binary 0 "$amd"
child_binary 1 "$arm"

file -b "$amd/app/hello" >"$SCRATCH/amd64.file"
file -b "$arm/app/hello" >"$SCRATCH/arm64.file"
contains "amd64 child: /app/hello is an x86-64 ELF" "$SCRATCH/amd64.file" "ELF 64-bit LSB executable, x86-64"
contains "arm64 child: /app/hello is an aarch64 ELF" "$SCRATCH/arm64.file" "ELF 64-bit LSB executable, ARM aarch64"
contains "amd64 child: statically linked" "$SCRATCH/amd64.file" "statically linked"
contains "arm64 child: statically linked" "$SCRATCH/arm64.file" "statically linked"
expect_eq "amd64 child's binary runs natively" "$("$amd/app/hello")" "hello from linux/amd64"
expect_eq "arm64 child's binary runs under qemu-aarch64-static" "$(qemu-aarch64-static "$arm/app/hello")" "hello from linux/arm64"

# A fresh docker-registry: the index and both children, crane picks by platform.
R=$(test_registry "$SCRATCH/registry")
bz "$OB" run //:index.push -- --repository "$R/go/hello" --tag v1 >"$SCRATCH/push.log" 2>&1 ||
  { cat "$SCRATCH/push.log" >&2; die "pushing the index to docker-registry failed"; }
pass "docker-registry accepts the index and both children"
expect_eq "the pushed index is the built one" "$(crane digest --insecure "$R/go/hello:v1")" "$(cat bazel-bin/index.digest)"
crane manifest --insecure --platform linux/arm64 "$R/go/hello:v1" >"$SCRATCH/arm64.json" || die "crane manifest --platform failed"
expect_eq "crane manifest --platform linux/arm64 returns the arm64 child" \
  "sha256:$(sha256sum "$SCRATCH/arm64.json" | cut -d' ' -f1)" "$(jq -r '.manifests[1].digest' "$index")"

python3 - "$WS/BUILD.bazel" "$SCRATCH/repo/docs/image_index.md" <<'PY' || die "docs/image_index.md and go_multiarch/BUILD.bazel disagree"
import sys
build, doc = (open(p).read() for p in sys.argv[1:])
example = build.split("# BEGIN docs/image_index.md example\n")[1].split("# END docs/image_index.md example")[0]
assert example.strip() and "```python\n" + example + "```" in doc, "the example between BEGIN/END in go_multiarch/BUILD.bazel is not verbatim in docs/image_index.md"
PY
pass "docs/image_index.md shows go_multiarch/BUILD.bazel verbatim"
