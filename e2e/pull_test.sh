#!/usr/bin/env bash
# image_pull against real registries, from a user's workspace: a base pinned
# by digest works (also with credentials from REGISTRY_AUTH_FILE); an unpinned
# tag, a wrong digest, an unknown repository and missing credentials each fail
# with a message naming the image_pull and the fix (for a tag: the digest to paste).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
share_tool # one strata tool per test command: its build is not what this suite tests

copy_workspace "$SCRATCH/repo"
ensure_example_registry
(cd "$SCRATCH/repo" && bz "$SCRATCH/ob-repo" build //examples/base:base --output_groups=+oci_layout >/dev/null 2>&1)
base_digest=$(cat "$SCRATCH/repo/bazel-bin/examples/base/base.digest")
crane push "$SCRATCH/repo/bazel-bin/examples/base/base.oci" "$EXAMPLE_REGISTRY/strata/base:1" >/dev/null 2>&1

# A registry with htpasswd auth holding the same base.
SECRET="pull-$RANDOM-pw"
AUTH=$(test_registry "$SCRATCH/reg" ci "$SECRET")
docker_auth "$AUTH" ci "$SECRET" > "$SCRATCH/auth.json"
DOCKER_CONFIG=$SCRATCH/cranecfg crane auth login "$AUTH" -u ci -p "$SECRET" >/dev/null 2>&1
DOCKER_CONFIG=$SCRATCH/cranecfg crane push "$SCRATCH/repo/bazel-bin/examples/base/base.oci" "$AUTH/private/base:1" >/dev/null 2>&1 ||
  die "seeding the authenticated registry failed"

# The workspace is checked in (e2e/workspaces/pull); only the password-
# protected registry's address, a free port, is written here.
ws=$SCRATCH/repo/e2e/workspaces/pull
printf 'PRIVATE_REGISTRY = "%s"\n' "$AUTH" > "$ws/registries.bzl"
pinned=$(sed -n 's/^BASE_DIGEST = "\(sha256:[0-9a-f]*\)"$/\1/p' "$ws/WORKSPACE")
[ "$pinned" = "$base_digest" ] ||
  die "//examples/base:base has digest $base_digest but e2e/workspaces/pull/WORKSPACE pins $pinned (fix: update BASE_DIGEST there)"
cd "$ws"
OB=$SCRATCH/ob

bz "$OB" build //:on_pinned >/dev/null 2>&1 || die "image on a pinned base failed"
expect_eq "base digest recorded by image_pull" "$(cat "$OB/external/pinned/digest")" "$base_digest"

expect_pull_error() {
  local target=$1 out=$SCRATCH/${1#//:}.log
  shift
  if "$@" bazel --output_base="$OB" build "${STRATA_E2E_BAZEL_FLAGS[@]}" "$target" >"$out" 2>&1; then die "$target built, but its pull should fail"; fi
  grep -qE 'goroutine [0-9]+|panic:' "$out" && die "$target: a Go panic reached the user"
  pass "$target fails"
}
expect_pull_error //:on_unpinned env
contains "unpinned: names the image_pull" "$SCRATCH/on_unpinned.log" 'image_pull(name = "unpinned")'
contains "unpinned: prints the line to paste" "$SCRATCH/on_unpinned.log" "digest = \"$base_digest\","
expect_pull_error //:on_wrong_digest env
contains "wrong digest" "$SCRATCH/on_wrong_digest.log" "no such repository or digest"
expect_pull_error //:on_unknown_repo env
contains "unknown repository" "$SCRATCH/on_unknown_repo.log" "no such repository or digest"
expect_pull_error //:on_private env DOCKER_CONFIG="$SCRATCH/empty"
contains "no credentials: refused" "$SCRATCH/on_private.log" "refused access"
contains "no credentials: how to log in" "$SCRATCH/on_private.log" "docker login"
REGISTRY_AUTH_FILE=$SCRATCH/auth.json DOCKER_CONFIG=$SCRATCH/empty bz "$OB" build //:on_private >/dev/null 2>&1 ||
  die "pull with REGISTRY_AUTH_FILE credentials failed"
pass "pull with REGISTRY_AUTH_FILE credentials"
if grep -rIl -- "$SECRET" "$OB" 2>/dev/null; then die "the password leaked into the output base"; fi
pass "the password is in no output-base file"
