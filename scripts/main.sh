#!/usr/bin/env bash
# The main job: install what is missing, build //examples/hello:image with
# Bazel, and print its digest and a table of its layers.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_apt_packages

log "bazel build //examples/hello:image"
bazel build //examples/hello:image --output_groups=+oci_layout,+tarball

out=bazel-bin/examples/hello
log "built //examples/hello:image"
"$(strata_bin)" describe --digest $out/image.digest --manifest $out/image.manifest.json --config $out/image.config.json
cat <<MSG

outputs:
  $out/image.digest          manifest digest
  $out/image.manifest.json   OCI manifest
  $out/image.config.json     OCI config
  $out/image.oci/            OCI image layout (skopeo, umoci, crane)
  $out/image.tar             docker-archive (docker load -i ...)
MSG
