#!/usr/bin/env bash
# Tools nobody on this project wrote accept the outputs: skopeo reads the OCI
# layout (same digest as NAME.digest), umoci unpacks it with the declared
# files, modes and symlinks, crane validates the docker-archive, and the
# unpacked root file system runs the example's binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
share_tool # one strata tool per test command: its build is not what this suite tests

copy_workspace "$SCRATCH/ws"
cd "$SCRATCH/ws"
bz "$SCRATCH/ob" build //examples/hello:image --output_groups=+oci_layout,+tarball
OUT=bazel-bin/examples/hello
digest=$(cat $OUT/image.digest)

expect_eq "skopeo inspect oci: digest" "$(skopeo inspect --format '{{.Digest}}' oci:$OUT/image.oci:latest)" "$digest"
expect_eq "skopeo sees the layers" "$(skopeo inspect --format '{{len .Layers}}' oci:$OUT/image.oci:latest)" 3
check "skopeo copy verified every blob" skopeo copy --quiet oci:$OUT/image.oci:latest "dir:$SCRATCH/skopeo-dir"

check "crane validate --tarball" crane validate --tarball $OUT/image.tar
tar -xOf $OUT/image.tar manifest.json > "$SCRATCH/manifest.json"
contains "docker-archive carries repo_tags" "$SCRATCH/manifest.json" '"RepoTags":["strata.local/hello:latest"]'

umoci unpack --rootless --image "$OUT/image.oci:latest" "$SCRATCH/bundle" >/dev/null
root=$SCRATCH/bundle/rootfs
mode() { stat -c '%a %F' "$root/$1"; }
expect_eq "/app/bin/hello" "$(mode app/bin/hello)" "755 regular file"
expect_eq "/etc/hello/hello.conf" "$(mode etc/hello/hello.conf)" "644 regular file"
expect_eq "/tmp" "$(mode tmp)" "1777 directory"
expect_eq "/bin/greet" "$(readlink "$root/bin/greet")" "/app/bin/hello"
expect_eq "runfiles link" "$(readlink "$root/app/bin/hello.runfiles/rules_strata/examples/hello/hello")" "/app/bin/hello"
# A rootless unpack cannot apply owners, so read the declared uid:gid of
# hello.conf from the layer itself.
"$(strata_path "$SCRATCH/ob")" list-layer $OUT/config_layer.tar.gz > "$SCRATCH/config_layer.ndjson"
contains "hello.conf owned by 1000:1000" "$SCRATCH/config_layer.ndjson" '"path":"etc/hello/hello.conf","type":"file","mode":"0644","uid":1000,"gid":1000'

if [ "$(id -u)" -eq 0 ]; then
  # The multi-call binary, started through its busybox-style symlink inside
  # the unpacked image, reads the greeting from the config layer.
  expect_eq "chroot rootfs /bin/greet" "$(chroot "$root" /bin/greet)" "hello from a reproducible image"
  expect_eq "chroot rootfs /bin/version" "$(chroot "$root" /bin/version)" "hello 1.0"
else
  echo "SKIP: running the image's binary in a chroot needs root"
fi
