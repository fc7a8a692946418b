# A base with Docker schema 2 media types (issue 12, item 5): an image built on
# it must have one consistent OCI manifest, which umoci, skopeo, crane and
# docker-registry accept, with the base's layer digests unchanged.
# shellcheck shell=bash

log "docker_base: make a Docker-media-type base and push it to $EXAMPLE_REGISTRY/strata/docker-base:1"
ensure_example_registry
bz "$OB" build //docker_base:source --output_groups=+oci_layout >"$SCRATCH/docker_base-source.log" 2>&1 ||
  { cat "$SCRATCH/docker_base-source.log" >&2; die "building //docker_base:source failed"; }
skopeo copy --quiet --format v2s2 --dest-tls-verify=false "oci:bazel-bin/docker_base/source.oci:latest" \
  "docker://$EXAMPLE_REGISTRY/strata/docker-base:1" || die "skopeo copy --format v2s2 failed"
skopeo inspect --raw --tls-verify=false "docker://$EXAMPLE_REGISTRY/strata/docker-base:1" > "$SCRATCH/docker_base-raw.json"
contains "the base's manifest is Docker schema 2" "$SCRATCH/docker_base-raw.json" '"mediaType":"application/vnd.docker.distribution.manifest.v2+json"'
contains "the base's layer has the Docker layer type" "$SCRATCH/docker_base-raw.json" '"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip"'
contains "the base's config has the Docker config type" "$SCRATCH/docker_base-raw.json" '"mediaType":"application/vnd.docker.container.image.v1+json"'
docker_digest=sha256:$(sha256sum < "$SCRATCH/docker_base-raw.json" | cut -d' ' -f1)
pinned=$(sed -n 's/^ *digest = "\(sha256:[0-9a-f]*\)",  # docker_base$/\1/p' WORKSPACE)
expect_eq "WORKSPACE pins the converted base" "$pinned" "$docker_digest"

log "docker_base: build on it; every media type of the result is OCI"
bz "$OB" build //docker_base:app --output_groups=+oci_layout,+tarball >"$SCRATCH/docker_base-app.log" 2>&1 ||
  { cat "$SCRATCH/docker_base-app.log" >&2; die "building //docker_base:app on the Docker base failed"; }
app_manifest=bazel-bin/docker_base/app.manifest.json
python3 - "$app_manifest" "$SCRATCH/docker_base-raw.json" <<'PY' || die "the manifest of //docker_base:app is not all OCI"
import json, sys
m, base = (json.load(open(p)) for p in sys.argv[1:])
types = [m["mediaType"], m["config"]["mediaType"]] + [l["mediaType"] for l in m["layers"]]
bad = [t for t in types if "vnd.docker" in t]
assert not bad, "Docker media types left: %s" % bad
assert m["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json", m["config"]
assert m["layers"][0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip", m["layers"][0]
for k in ("digest", "size"):
    assert m["layers"][0][k] == base["layers"][0][k], "base layer %s changed: %s != %s" % (k, m["layers"][0][k], base["layers"][0][k])
print("PASS: media types %s; the base layer keeps digest %s" % (sorted(set(types)), m["layers"][0]["digest"]))
PY

umoci unpack --rootless --image "bazel-bin/docker_base/app.oci:latest" "$SCRATCH/docker_base-bundle" >"$SCRATCH/docker_base-umoci.log" 2>&1 ||
  { cat "$SCRATCH/docker_base-umoci.log" >&2; die "umoci refuses the OCI layout of //docker_base:app"; }
check "umoci unpacked the base's file" test -f "$SCRATCH/docker_base-bundle/rootfs/etc/docker-base.txt"
check "umoci unpacked the app's file" test -f "$SCRATCH/docker_base-bundle/rootfs/app/app.txt"
skopeo inspect "oci:bazel-bin/docker_base/app.oci:latest" > "$SCRATCH/docker_base-skopeo.json" || die "skopeo cannot read the OCI layout"
contains "skopeo reads the layout" "$SCRATCH/docker_base-skopeo.json" '"Layers": ['
crane validate --tarball bazel-bin/docker_base/app.tar >"$SCRATCH/docker_base-crane.log" 2>&1 ||
  { cat "$SCRATCH/docker_base-crane.log" >&2; die "crane validate refuses the tarball"; }
pass "crane validates the docker-archive"

log "docker_base: push to a fresh docker-registry, read it back"
db_repo=$(test_registry "$SCRATCH/docker_base-reg")/team/on-docker-base
bz "$OB" run //docker_base:app.push -- --repository "$db_repo" --tag v1 >"$SCRATCH/docker_base-push.log" 2>&1 ||
  { cat "$SCRATCH/docker_base-push.log" >&2; die "pushing //docker_base:app to docker-registry failed"; }
skopeo inspect --raw --tls-verify=false "docker://$db_repo:v1" > "$SCRATCH/docker_base-pushed.json" ||
  { die "skopeo cannot read the pushed image"; }
check "the registry serves the exact manifest that was built" cmp -s "$SCRATCH/docker_base-pushed.json" "$app_manifest"
crane validate --remote "$db_repo:v1" --insecure >"$SCRATCH/docker_base-crane-remote.log" 2>&1 ||
  { cat "$SCRATCH/docker_base-crane-remote.log" >&2; die "crane validate --remote refuses the pushed image"; }
pass "crane validates the pushed image (every blob's digest and diff_id)"
bz "$OB" run //docker_base:app_shallow.push -- --repository "$db_repo-shallow" --tag v1 >"$SCRATCH/docker_base-push-shallow.log" 2>&1 ||
  { cat "$SCRATCH/docker_base-push-shallow.log" >&2; die "pushing //docker_base:app_shallow (base layer streamed from $EXAMPLE_REGISTRY) failed"; }
check "the shallow base's image has the same manifest" cmp -s bazel-bin/docker_base/app_shallow.manifest.json "$app_manifest"
crane validate --remote "$db_repo-shallow:v1" --insecure >"$SCRATCH/docker_base-crane-shallow.log" 2>&1 ||
  { cat "$SCRATCH/docker_base-crane-shallow.log" >&2; die "crane validate --remote refuses the image on the shallow Docker base"; }
pass "crane validates the image whose Docker-typed base layer was streamed registry to registry"
stop_registry "$SCRATCH/docker_base-reg"

# A load needs every layer on this machine: on a shallow base it says so
# before any engine runs (the base layer was never downloaded).
if STRATA_LOAD_ENGINE=podman bz "$OB" run //docker_base:app_shallow.load >"$SCRATCH/docker_base-load-shallow.log" 2>&1; then
  die ".load of an image on a shallow base succeeded"
fi
contains ".load on a shallow base names the base layer that is missing" "$SCRATCH/docker_base-load-shallow.log" "a layer of its base image was not downloaded"
contains ".load on a shallow base gives the fix" "$SCRATCH/docker_base-load-shallow.log" "fix: set download_layers = True on the base's image_pull"
