#!/usr/bin/env bash
# Bad input gets a clear error that names the target, the offending path and
# the fix; never a Go stack trace. Uses e2e/workspaces/bad_input, a workspace
# that loads rules_strata through local_repository like a user's would.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
share_tool # one strata tool per test command: its build is not what this suite tests

copy_workspace "$SCRATCH/repo"
cd "$SCRATCH/repo/e2e/workspaces/bad_input"
bz "$SCRATCH/ob" build //:ok >/dev/null 2>&1 || die "the valid target //:ok does not build"
pass "//:ok builds through local_repository"

# expect_error TARGET SUBSTRING... builds TARGET, which must fail with every
# SUBSTRING in its output and no Go panic.
expect_error() {
  local target=$1 out=$SCRATCH/$(echo "$1" | tr -c "a-z_\n" _).log
  shift
  if bz "$SCRATCH/ob" build "$target" >"$out" 2>&1; then
    die "$target built, but it should have failed"
  fi
  if grep -qE 'goroutine [0-9]+|panic:' "$out"; then
    cat "$out" >&2
    die "$target: a Go panic reached the user"
  fi
  local s
  for s in "$@"; do
    grep -qF -- "$s" "$out" || { cat "$out" >&2; die "$target: error lacks \"$s\""; }
  done
  pass "$target fails with: $(grep -m1 -E 'ERROR: ' "$out" | cut -c1-150)"
}

expect_error //:conflict "//:conflict" '"etc/app.conf"' "different content" "a.txt" "b.txt" "fix:"
expect_error //:escape "//:escape" '"../../etc/passwd"' "escapes the image root" "fix:"
expect_error //:missing "//:missing" "missing.txt"
expect_error //compression:bad_compression "//compression:bad_compression" "compression" "brotli" "gzip"
expect_error //:bad_level "//:bad_level" "compression_level 10" "gzip: 1..9" "fix:"
expect_error //:loop "//:loop" '"data"' "files: //:loopdir" "checked-in directory" "glob" "fix:"
expect_error //:bad_mode "//:bad_mode" '"/a.txt"' "octal" "fix:"
expect_error //:bad_env "//:bad_env" '"PATH=/bin"' "env" "fix:"
expect_error //:bad_port "//:bad_port" '"http"' "exposed_ports" "fix:"

# assets: checked-in directories (refused when the layer action runs: Bazel
# 4.2 does not tell Starlark a source file is a directory), strip_prefix that
# does not prefix a file, executables naming no file.
expect_error //assets:srcdir "//assets:srcdir" '"srv/www"' "files: //assets:static" "checked-in directory" "does not track" "strip_prefix" "fix:"
expect_error //assets:srcdir_in_srcs "//assets:srcdir_in_srcs" "srcs: //assets:static" "checked-in directory" "fix:"
expect_error //assets:bad_strip "//assets:bad_strip" 'strip_prefix "static" does not prefix assets/other.txt' "fix:"
expect_error //assets:bad_executables "//assets:bad_executables" '"/nope"' "executables" "not in the layer" "fix:"

# config (image_config values: ports, user; an image without layers)
expect_error //config:port_zero "//config:port_zero" '"0"' "exposed_ports" "1..65535" "fix:"
expect_error //config:port_too_big "//config:port_too_big" '"65536/tcp"' "exposed_ports" "1..65535" "fix:"
expect_error //config:port_protocol "//config:port_protocol" '"8080/http"' "/tcp, /udp or /sctp" "fix:"
expect_error //config:user_two_colons "//config:user_two_colons" '"app:staff:extra"' "user: not a user" "uid:gid" "fix:"
expect_error //config:user_space "//config:user_space" '"app user"' "user: not a user" "no spaces" "fix:"
expect_error //config:user_empty_part "//config:user_empty_part" '":1000"' "user: not a user" "no empty part" "fix:"
bz "$SCRATCH/ob" build //config:no_layers >/dev/null 2>&1 || die "//config:no_layers (an image with no layers) does not build"
contains "an image with no layers has \"layers\": []" bazel-bin/config/no_layers.manifest.json '"layers":[]'
contains "an image with no layers has \"diff_ids\": []" bazel-bin/config/no_layers.config.json '"diff_ids":[]'

# tars: tars from other tools, ids, times and paths a layer cannot hold.
expect_error //tars:truncated "//tars:truncated" "tars/truncated.tar is truncated" '"etc/app.conf"' "unexpected EOF" "fix:"
expect_error //tars:bad_pax "//tars:bad_pax" "tars/bad_pax.tar is not a valid tar" "header is malformed" "fix:"
expect_error //tars:big_uid "//tars:big_uid" '"srv/data"' "tars/big_uid.tar" "uid 2147483648 is outside 0..2147483647" "fix:"
expect_error //tars:under_symlink "//tars:under_symlink" '"var/run/app.pid"' 'which is a symlink to "/run"' "through the symlink" "fix:"
expect_error //tars:file_under_symlink "//tars:file_under_symlink" '"app/current/a.txt"' "//:a.txt" 'is under "app/current", which is a symlink to "/app/v1"' "fix:"
expect_error //tars:negative_uid "//tars:negative_uid" "uid: uid -1 is outside 0..2147483647" "fix:"
expect_error //tars:owner_out_of_range "//tars:owner_out_of_range" '"/a.txt"' "gid 4294967295 is outside 0..2147483647" "fix:"
expect_error //tars:negative_mtime "//tars:negative_mtime" "mtime: -1 is outside 0..8589934591" "fix:"

# index: a platform whose constraints have no OCI os/architecture; two
# children with the same platform.
expect_error //index:unmapped_platform "//index:linux_mips64" "do not map to an OCI os/architecture" "@platforms//cpu" "fix:"
expect_error //index:duplicate_platform "//index:duplicate_platform" "//index:amd64_b" "linux/amd64" "//index:amd64_a" "fix:"
expect_error //index:single_platform_base "//index:on_amd64_base" "the base image is linux/amd64 but this image is linux/arm64" "image_pull(platforms = [...])" "fix:"
