#!/usr/bin/env bash
# The main job: install what is missing, start a local registry, build
# //examples/hello:image with Bazel, print its digest and layers, and push it
# with `bazel run`, signed with a throwaway cosign key, its SBOM and
# provenance attached; cosign and oras (built once per machine) check it.
# Then build //examples/on_base:image on a base pulled from
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
"$(strata_bin)" inspect --image-files $out/image.image_files.json

# Signing: a throwaway cosign key pair, made once in .cache/signing. Its
# password is set here for the demo; use your own key and a secret password.
COSIGN=$(ensure_cosign)
ORAS=$(ensure_oras)
keys=$ROOT/.cache/signing
export COSIGN_PASSWORD=strata-example-only
if [ ! -f "$keys/cosign.key" ]; then
  log "cosign generate-key-pair (a throwaway key pair in $keys)"
  mkdir -p "$keys"
  (cd "$keys" && "$COSIGN" generate-key-pair >/dev/null 2>&1) || die "cosign generate-key-pair failed"
fi

log "bazel run //examples/hello:image.push, signed with STRATA_SIGNING_KEY (to the local registry)"
STRATA_SIGNING_KEY=$keys/cosign.key bazel run //examples/hello:image.push -- \
  --repository "$EXAMPLE_REGISTRY/strata/hello" --tag latest --refs-out "$ROOT/.cache/pushed.txt"
hello=$(cat "$ROOT/.cache/pushed.txt")

log "cosign verify --key .cache/signing/cosign.pub $hello"
"$COSIGN" verify --key "$keys/cosign.pub" --insecure-ignore-tlog=true "$hello" 2>&1 | grep -v '^WARNING' >&2
log "cosign verify-attestation --type slsaprovenance1 (the in-toto statement, decoded)"
"$COSIGN" verify-attestation --key "$keys/cosign.pub" --insecure-ignore-tlog=true --type slsaprovenance1 "$hello" 2>/dev/null |
  jq -r .payload | base64 -d | jq '{predicateType, subject, buildType: .predicate.buildDefinition.buildType, resolvedDependencies: (.predicate.buildDefinition.resolvedDependencies | length)}' >&2
log "oras discover (the SBOM and the provenance, attached as OCI referrers)"
"$ORAS" discover --plain-http "$hello" >&2
unset COSIGN_PASSWORD

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

signed with $keys/cosign.key (check: cosign verify --key $keys/cosign.pub --insecure-ignore-tlog=true ...)

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
