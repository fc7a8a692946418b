#!/usr/bin/env bash
# Every image_layer input kind (tree artifact, srcs with package_dir, a binary
# with its runfiles, a merged gzip tar, per-path modes, uid/gid defaults) and
# every compression, checked entry by entry against the golden listings in
# workspaces/features/golden/, then read back by skopeo.
#   STRATA_UPDATE_GOLDEN=1 bash e2e/features_test.sh   rewrites the listings
set -euo pipefail
source "$(dirname "$0")/lib.sh"
share_tool # one strata tool per test command: its build is not what this suite tests

copy_workspace "$SCRATCH/repo"
ws=$SCRATCH/repo/e2e/workspaces/features
cd "$ws"
bz "$SCRATCH/ob" build //:image --output_groups=+oci_layout
strata=$(strata_path "$SCRATCH/ob" @rules_strata)

for layer in tree_layer:zstd:tar.zst binary_layer:none:tar tar_layer:gzip:tar.gz; do
  IFS=: read -r name compression ext <<<"$layer"
  "$strata" list-layer --compression "$compression" "bazel-bin/$name.$ext" > "$SCRATCH/$name.ndjson"
  golden=$ROOT/e2e/workspaces/features/golden/$name.ndjson
  if [ -n "${STRATA_UPDATE_GOLDEN:-}" ]; then
    cp "$SCRATCH/$name.ndjson" "$golden"
    echo "updated $golden"
    continue
  fi
  # The goldens are of a WORKSPACE build. Under bzlmod the main repository's
  # runfiles directory is `_main` and Bazel adds `_repo_mapping`: compare
  # modulo exactly that (docs/reproducibility.md).
  if [ -d bazel-bin/serve.runfiles/_main ]; then
    sed 's#serve.runfiles/features/#serve.runfiles/_main/#' "$golden" > "$SCRATCH/$name.golden"
    grep -v 'serve.runfiles/_repo_mapping"' "$SCRATCH/$name.ndjson" > "$SCRATCH/$name.actual" || true
  else
    cp "$golden" "$SCRATCH/$name.golden"
    cp "$SCRATCH/$name.ndjson" "$SCRATCH/$name.actual"
  fi
  diff -u "$SCRATCH/$name.golden" "$SCRATCH/$name.actual" || die "$name differs from its golden listing (diff above)"
  pass "$name ($compression) matches golden/$name.ndjson"
done

digest=$(cat bazel-bin/image.digest)
expect_eq "skopeo reads zstd, plain and gzip layers" \
  "$(skopeo inspect --format '{{.Digest}} {{.Architecture}}' oci:bazel-bin/image.oci:latest)" "$digest arm64"
skopeo inspect --config --raw oci:bazel-bin/image.oci:latest > "$SCRATCH/config.json"
contains "config has variant v8" "$SCRATCH/config.json" '"variant":"v8"'
contains "config has volume /data" "$SCRATCH/config.json" '"Volumes":{"/data":{}}'
check "skopeo copy verifies every blob" skopeo copy --quiet oci:bazel-bin/image.oci:latest "dir:$SCRATCH/copy"
