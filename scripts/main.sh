#!/usr/bin/env bash
# The main job: install what is missing, start a local registry, build
# //examples/hello:image with Bazel, print its digest and layers, and push it
# with `bazel run`. Then build //examples/on_base:image on a base pulled from
# that registry by digest, and push it too (its base layer is mounted, not
# uploaded). Last, two multi-arch indexes, children first: //examples/multiarch
# (one image of files for linux/amd64 and linux/arm64), and a Go program
# cross-compiled by rules_go for both (e2e/workspaces/go_multiarch, a
# workspace of its own: rules_go and its Go SDK come from the Go module proxy).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_apt_packages
ensure_go_tools
ensure_example_registry
seed_example_base

log "bazel build //examples/hello:image"
bazel build //examples/hello:image --output_groups=+oci_layout,+tarball
out=bazel-bin/examples/hello
log "built //examples/hello:image"
"$(strata_bin)" inspect --digest $out/image.digest --manifest $out/image.manifest.json --config $out/image.config.json

log "bazel run //examples/hello:image.push (to the local registry)"
bazel run //examples/hello:image.push -- --repository "$EXAMPLE_REGISTRY/strata/hello" --tag latest --refs-out "$ROOT/.cache/pushed.txt"

log "bazel run //examples/on_base:image.push (base pulled by digest from $EXAMPLE_REGISTRY/strata/base)"
bazel run //examples/on_base:image.push -- --refs-out "$ROOT/.cache/pushed-on-base.txt"

log "bazel run //examples/multiarch:multiarch.push (an index of linux/amd64 and linux/arm64)"
bazel run //examples/multiarch:multiarch.push -- --refs-out "$ROOT/.cache/pushed-multiarch.txt"

log "the rules_go example: bazel run //:index.push in e2e/workspaces/go_multiarch"
go_ws=$ROOT/e2e/workspaces/go_multiarch
why=$(go_multiarch_deps "$go_ws") || die "the rules_go example cannot be set up: $why"
(cd "$go_ws" && bazel run //:index.push -- --repository "$EXAMPLE_REGISTRY/strata/go-hello" --tag latest \
  --refs-out "$ROOT/.cache/pushed-go.txt") || die "pushing the rules_go example's index failed"
(cd "$go_ws" && bazel shutdown)

cat <<MSG

pushed:
  $(cat "$ROOT/.cache/pushed.txt")
  $(cat "$ROOT/.cache/pushed-on-base.txt")
  $(cat "$ROOT/.cache/pushed-multiarch.txt")  (index; crane manifest --platform linux/arm64 ... gives the arm64 child)
  $(cat "$ROOT/.cache/pushed-go.txt")  (index of a Go program for linux/amd64 and linux/arm64)

outputs of //examples/hello:image:
  $out/image.digest          manifest digest
  $out/image.manifest.json   OCI manifest
  $out/image.config.json     OCI config
  $out/image.oci/            OCI image layout (skopeo, umoci, crane)
  $out/image.tar             docker-archive (docker load -i ..., or bazel run //examples/hello:image.load)

The registry at $EXAMPLE_REGISTRY keeps running (data in .cache/registry):
  skopeo inspect --tls-verify=false docker://$EXAMPLE_REGISTRY/strata/hello:latest
  stop it with: kill \$(cat .cache/registry/pid)
MSG
