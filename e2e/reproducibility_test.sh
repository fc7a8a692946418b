#!/usr/bin/env bash
# Same image digest (and same layer blobs, OCI layout, tarball and strata
# binary) from builds that differ in everything that must not matter:
# checkout path, output base, umask (022 vs 077), TZ, LANG, source mtimes,
# the layer actions' sandbox (B runs them unsandboxed, as docs/image_layer.md
# suggests for large layers) and, when run as root, the user.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TARGET="//examples/hello:image //examples/hello:debug"
OUT=bazel-bin/examples/hello

# fingerprint prints one line per output that must be identical.
fingerprint() {
  echo "digest $(cat $OUT/image.digest)"
  echo "debug digest $(cat $OUT/debug.digest)"
  for d in $OUT/*_layer.descriptor.json; do echo "$(basename "$d") $(sha256sum < "$d" | cut -c1-64)"; done
  for f in $OUT/*_layer.tar.gz $OUT/image.tar $OUT/image.config.json $OUT/image.manifest.json $OUT/image.oci/index.json; do
    echo "$(basename "$f") $(sha256sum < "$f" | cut -c1-64)"
  done
  echo "strata $(cat "$1"/external/strata_tool_*/strata | sha256sum | cut -c1-64)"  # the one platform fetched
}

log "build A: umask 022, TZ=UTC, LANG=C.UTF-8"
(umask 022; copy_workspace "$SCRATCH/a/ws")
(cd "$SCRATCH/a/ws" && umask 022 && TZ=UTC LANG=C.UTF-8 bz "$SCRATCH/a/ob" build $TARGET --output_groups=+oci_layout,+tarball)
A=$(cd "$SCRATCH/a/ws" && fingerprint "$SCRATCH/a/ob")
bazel --output_base="$SCRATCH/a/ob" shutdown

log "build B: umask 077, TZ=Pacific/Kiritimati, LANG=de_DE.UTF-8, source mtimes in 2001, another path, layers unsandboxed"
(umask 077; copy_workspace "$SCRATCH/b/some/deeper/checkout")
find "$SCRATCH/b/some/deeper/checkout" -exec touch -h -d '2001-09-09 01:46:40' {} +
(cd "$SCRATCH/b/some/deeper/checkout" && umask 077 && TZ=Pacific/Kiritimati LANG=de_DE.UTF-8 LC_ALL=de_DE.UTF-8 \
  bz "$SCRATCH/b/ob" build $TARGET --output_groups=+oci_layout,+tarball --strategy=StrataLayer=local \
  --execution_log_json_file="$SCRATCH/b.exec.json")
# Every layer action of build B ran unsandboxed (runner "local").
expect_eq "runners of build B's StrataLayer actions" \
  "$(grep -E '"(mnemonic|runner)"' "$SCRATCH/b.exec.json" | paste - - | grep '"StrataLayer"' | sed 's/.*"runner": "\([^"]*\)".*/\1/' | sort -u)" local
B=$(cd "$SCRATCH/b/some/deeper/checkout" && fingerprint "$SCRATCH/b/ob")
bazel --output_base="$SCRATCH/b/ob" shutdown

diff <(echo "$A") <(echo "$B") || die "builds A and B differ (lines above)"
pass "A and B are identical:"
echo "$A"

if [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null; then
  log "build C: another user (stratatest), own HOME, Go caches and Bazel output root"
  id stratatest >/dev/null 2>&1 || useradd -m -s /bin/bash stratatest
  mkdir -p "$SCRATCH/c"
  (umask 022; copy_workspace "$SCRATCH/c/ws")
  chown -R stratatest "$SCRATCH/c"
  home=$(getent passwd stratatest | cut -d: -f6)
  (cd "$SCRATCH/c/ws" && runuser -u stratatest -- env -i HOME="$home" PATH=/usr/local/go/bin:/usr/bin:/bin \
    GOPROXY="$(go env GOPROXY)" TZ=America/St_Johns LANG=C \
    bazel --output_user_root="$SCRATCH/c/root" build $TARGET --output_groups=+oci_layout,+tarball)
  ob_c=$(cd "$SCRATCH/c/ws" && runuser -u stratatest -- env -i HOME="$home" PATH=/usr/local/go/bin:/usr/bin:/bin bazel --output_user_root="$SCRATCH/c/root" info output_base 2>/dev/null)
  C=$(cd "$SCRATCH/c/ws" && fingerprint "$ob_c")
  (cd "$SCRATCH/c/ws" && runuser -u stratatest -- env -i HOME="$home" PATH=/usr/local/go/bin:/usr/bin:/bin bazel --output_user_root="$SCRATCH/c/root" shutdown)
  diff <(echo "$A") <(echo "$C") || die "builds A and C (other user) differ (lines above)"
  pass "A and C (user stratatest) are identical"
else
  echo "SKIP: build as another user needs root (runs in CI)"
fi
