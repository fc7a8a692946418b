#!/usr/bin/env bash
# `bazel run @rules_strata//rules:pin` from a user's workspace, against a real
# docker-registry (docs/pin.md): a new base pushed under the same tag makes
# `--check` fail (exit 4) naming each stale pull; `--dry-run` prints the diff
# `diff -u` prints and writes nothing; pin rewrites WORKSPACE, MODULE.bazel
# and a .bzl (named relative to where bazel run was started), changing only
# the digest strings (every other byte identical); the next build uses the
# new base; `--check` then passes. A pull without a tag, a tag that no longer
# exists and a registry that refuses each get one line naming the pull.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
share_tool # one strata tool per test command: its build is not what this suite tests

copy_workspace "$SCRATCH/repo"
ensure_example_registry
crane digest "$EXAMPLE_REGISTRY/strata/base:1" >/dev/null 2>&1 || seed_example_base

REG=$(test_registry "$SCRATCH/reg")
AUTH_REG=$(test_registry "$SCRATCH/authreg" ci "pin-$RANDOM")
export DOCKER_CONFIG=$SCRATCH/no-credentials

crane copy "$EXAMPLE_REGISTRY/strata/base:1" "$REG/strata/base:1" >/dev/null 2>&1 || die "seeding $REG failed"
crane copy "$EXAMPLE_REGISTRY/strata/base:1" "$REG/strata/base:retired" >/dev/null 2>&1 || die "seeding $REG failed"
v1=$(crane digest "$REG/strata/base:1")

ws=$SCRATCH/repo/e2e/workspaces/pin
mkdir -p "$ws/sub"
cp "$SCRATCH/repo/e2e/workspaces/bad_input/.bazelrc" "$SCRATCH/repo/e2e/workspaces/bad_input/.bazelversion" "$ws/"
# The user's stanza of every test workspace (bad_input's, renamed), then pulls
# in odd but legal formatting and comments, which pin must leave as they are.
sed 's/^workspace(name = "bad_input")$/workspace(name = "pin")/' "$SCRATCH/repo/e2e/workspaces/bad_input/WORKSPACE" > "$ws/WORKSPACE"
grep -qx 'workspace(name = "pin")' "$ws/WORKSPACE" || die "e2e/workspaces/bad_input/WORKSPACE no longer starts with workspace(name = \"bad_input\")"
cat >> "$ws/WORKSPACE" <<WS

load("@rules_strata//rules:defs.bzl", "image_pull")

#   The base, following tag 1.   (Comments and spacing stay.)
image_pull(
    name = "base",
    # refreshed by: bazel run @rules_strata//rules:pin
    digest = "$v1",   # keep me
    image = "$REG/strata/base",
    tag = "1",
)

image_pull(name = 'base_compact', digest = '$v1', image = '$REG/strata/base', tag = '1')  # single quotes

load("//:bases.bzl", "bases")

bases()
WS
cat > "$ws/bases.bzl" <<BZL
"""Bases pulled from a macro, as larger workspaces do."""

load("@rules_strata//rules:defs.bzl", "image_pull")

def bases():
    """Every base of this workspace."""
    image_pull(
        name = "base_bzl",
        digest = "$v1",
        image = "$REG/strata/base",
        tag = "1",
    )
BZL
# Bazel 4 reads no MODULE.bazel; pin rewrites it all the same.
cat > "$ws/MODULE.bazel" <<MOD
module(name = "pin")

strata = use_extension("@rules_strata//rules:extensions.bzl", "strata")
strata.pull(
    name = "base",
    digest = "$v1",
    image = "$REG/strata/base",
    tag = "1",
)
use_repo(strata, "base")
MOD
# Not loaded by WORKSPACE: pulls pin cannot resolve.
cat > "$ws/bad.bzl" <<BAD
"""Pulls strata pin must refuse, one line each."""

load("@rules_strata//rules:defs.bzl", "image_pull")

def bad():
    image_pull(name = "no_tag", digest = "$v1", image = "$REG/strata/base")
    image_pull(name = "retired", digest = "$v1", image = "$REG/strata/base", tag = "retired")
    image_pull(name = "private", digest = "$v1", image = "$AUTH_REG/private/base", tag = "1")
BAD
cat > "$ws/BUILD.bazel" <<'BUILD'
load("@rules_strata//rules:defs.bzl", "image")

image(name = "on_base", base = "@base")

image(name = "on_base_bzl", base = "@base_bzl")
BUILD
touch "$ws/sub/.keep"
for f in WORKSPACE MODULE.bazel bases.bzl bad.bzl; do cp "$ws/$f" "$SCRATCH/$f.orig"; done
cd "$ws"
OB=$SCRATCH/ob

# pin RC_FILE ARGS...: bazel run the pin target from the current directory;
# stdout and stderr go to $SCRATCH/pin.out and pin.err, the exit code to RC_FILE.
pin() {
  local rc=0
  bz "$OB" run @rules_strata//rules:pin -- "$@" \
    >"$SCRATCH/pin.out" 2>"$SCRATCH/pin.err" || rc=$?
  if grep -qE 'goroutine [0-9]+|panic:' "$SCRATCH/pin.err"; then cat "$SCRATCH/pin.err" >&2; die "a Go panic reached the user"; fi
  echo "$rc"
}
# doc_block LANG: the first ```LANG block of docs/pin.md, with the registry's
# address that the page writes as registry.example.com.
doc_block() {
  awk -v open="\`\`\`$1" '$0 == open && !done {on = 1; next} /^```$/ && on {on = 0; done = 1} on' "$ROOT/docs/pin.md" |
    sed "s/registry\.example\.com/$REG/g"
}
same_files() {
  local f
  for f in WORKSPACE MODULE.bazel bases.bzl bad.bzl; do cmp -s "$f" "$SCRATCH/$f.orig" || die "$1: $f changed"; done
}

doc_block python > "$SCRATCH/doc.python"
[ -s "$SCRATCH/doc.python" ] || die "docs/pin.md has no \`\`\`python example"
sed -n 17,26p WORKSPACE | diff -u "$SCRATCH/doc.python" - >&2 || die "docs/pin.md's WORKSPACE lines are not lines 17-26 of the test's WORKSPACE"
pass "docs/pin.md's example pulls are the ones this test pins"

log "pin: pinned bases build; --check passes while the tag has not moved"
bz "$OB" build //:on_base //:on_base_bzl >/dev/null 2>&1 || die "images on the pinned bases failed to build"
expect_eq "base pinned at first" "$(cat "$OB/external/base/digest")" "$v1"
first=$(cat bazel-bin/on_base.digest)
rc=$(pin --check)
cat "$SCRATCH/pin.err" >&2
expect_eq "--check with current pins exits" "$rc" 0
contains "--check counts WORKSPACE and MODULE.bazel pulls" "$SCRATCH/pin.err" "3 pulls in WORKSPACE, MODULE.bazel: 3 current, 0 stale"

log "pin: a new base under the same tag"
crane mutate "$REG/strata/base:1" --label org.example.pin=2 >/dev/null 2>&1 || die "crane mutate failed"
v2=$(crane digest "$REG/strata/base:1")
[ "$v1" != "$v2" ] || die "the new base has the old digest"
pass "tag 1 moved: $v1 -> $v2"

rc=$(pin --check)
cat "$SCRATCH/pin.out" >&2
expect_eq "--check with a moved tag exits" "$rc" 4
contains "--check names the stale WORKSPACE pull" "$SCRATCH/pin.out" "WORKSPACE:18: image_pull(name = \"base\") is stale: $REG/strata/base:1 is now $v2, the pin is $v1"
contains "--check names the single-quoted pull" "$SCRATCH/pin.out" "WORKSPACE:26: image_pull(name = \"base_compact\") is stale"
contains "--check names the MODULE.bazel pull" "$SCRATCH/pin.out" "MODULE.bazel:4: strata.pull(name = \"base\") is stale"
contains "--check says what to run" "$SCRATCH/pin.err" "3 stale pins (exit 4)"
same_files "--check"
{ cat "$SCRATCH/pin.out"; grep '^strata pin:' "$SCRATCH/pin.err"; } | diff -u <(doc_block text) - >&2 ||
  die "docs/pin.md's --check output differs from what --check printed (fix: paste it, with registry.example.com for $REG)"
pass "docs/pin.md shows the real --check output"

rc=$(pin --dry-run WORKSPACE)
expect_eq "--dry-run exits" "$rc" 0
same_files "--dry-run"
sed "s/$v1/$v2/g" "$SCRATCH/WORKSPACE.orig" > "$SCRATCH/WORKSPACE.want"
diff -u "$SCRATCH/WORKSPACE.orig" "$SCRATCH/WORKSPACE.want" | sed -n '/^@@/,$p' > "$SCRATCH/want.diff" || true
sed -n '/^@@/,$p' "$SCRATCH/pin.out" > "$SCRATCH/got.diff"
diff -u "$SCRATCH/want.diff" "$SCRATCH/got.diff" >&2 || die "--dry-run's diff is not what diff -u prints for the rewrite"
pass "--dry-run prints the diff diff -u prints, and writes nothing"
diff -u <(doc_block diff) "$SCRATCH/pin.out" >&2 || die "docs/pin.md's --dry-run output differs from what --dry-run printed"
pass "docs/pin.md shows the real --dry-run output"

log "pin: rewrite (default files), then a .bzl named relative to the directory bazel run started in"
rc=$(pin)
cat "$SCRATCH/pin.out" >&2
expect_eq "pin exits" "$rc" 0
contains "pin says what it pinned" "$SCRATCH/pin.out" "WORKSPACE:18: image_pull(name = \"base\"): pinned $REG/strata/base:1 to $v2 (was $v1)"
rc=$(cd sub && pin ../bases.bzl)
expect_eq "pin ../bases.bzl from sub/ exits" "$rc" 0
contains "pin names the .bzl from the workspace root" "$SCRATCH/pin.out" "bases.bzl:7: image_pull(name = \"base_bzl\"): pinned"
for f in WORKSPACE MODULE.bazel bases.bzl; do
  sed "s/$v1/$v2/g" "$SCRATCH/$f.orig" > "$SCRATCH/$f.want"
  cmp "$f" "$SCRATCH/$f.want" || { diff -u "$SCRATCH/$f.want" "$f" >&2; die "$f: more changed than the digests"; }
  grep -q "$v1" "$f" && die "$f still pins $v1"
  pass "$f: only the digests changed (every other byte identical)"
done
cmp -s bad.bzl "$SCRATCH/bad.bzl.orig" || die "bad.bzl was not named but changed"

log "pin: the next build uses the new base; --check passes"
bz "$OB" build //:on_base //:on_base_bzl >/dev/null 2>&1 || die "images on the re-pinned bases failed to build"
expect_eq "base re-fetched at the new digest" "$(cat "$OB/external/base/digest")" "$v2"
expect_eq "base_bzl re-fetched at the new digest" "$(cat "$OB/external/base_bzl/digest")" "$v2"
grep -q '"org.example.pin":"2"' bazel-bin/on_base.config.json || die "the image config lacks the new base's label"
[ "$(cat bazel-bin/on_base.digest)" != "$first" ] || die "the image digest did not change with its base"
pass "the image is built on the new base (its label is in the config; digest $(cat bazel-bin/on_base.digest))"
rc=$(pin --check WORKSPACE MODULE.bazel bases.bzl)
expect_eq "--check after pinning exits" "$rc" 0
contains "--check after pinning: all current" "$SCRATCH/pin.err" "4 pulls in WORKSPACE, MODULE.bazel, bases.bzl: 4 current, 0 stale"

log "pin: pulls it cannot resolve, one line each naming the pull"
crane delete "$REG/strata/base@$v1" >/dev/null 2>&1 || die "crane delete failed" # tag "retired" goes with it
rc=$(pin --check bad.bzl)
cat "$SCRATCH/pin.err" >&2
expect_eq "--check with unresolvable pulls exits" "$rc" 1
contains "no tag" "$SCRATCH/pin.err" "ERROR: image_pull(name = \"no_tag\") in bad.bzl:6: no tag to resolve"
contains "tag gone" "$SCRATCH/pin.err" "ERROR: image_pull(name = \"retired\") in bad.bzl:7: tag \"retired\" does not exist in $REG/strata/base (any more)"
contains "registry refuses" "$SCRATCH/pin.err" "ERROR: image_pull(name = \"private\") in bad.bzl:8: the registry refused to resolve $AUTH_REG/private/base:1"
contains "registry refuses: how to log in" "$SCRATCH/pin.err" "docker login"
rc=$(pin bad.bzl)
expect_eq "pin with unresolvable pulls exits" "$rc" 1
cmp -s bad.bzl "$SCRATCH/bad.bzl.orig" || die "bad.bzl changed"
pass "bad.bzl is left as it was"
