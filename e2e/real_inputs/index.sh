# index: multi-arch image indexes (package index/). One image built for
# linux/amd64 and linux/arm64 through image_index's split transition equals
# the index of two images that spell their platforms out; the index action
# reads manifests and configs only; skopeo, crane and docker-registry accept
# the index; crane --platform linux/arm64 finds the arm64 child; re-pushing an
# unchanged index is one request per repository; the digest survives another
# output base, checkout path and umask 077.
IX=$SCRATCH/index
mkdir -p "$IX"
P=//index

bz "$OB" build "$P:multi" "$P:explicit" "$P:explicit_docker" --output_groups=+oci_layout >"$IX/build.log" 2>&1 ||
  { cat "$IX/build.log" >&2; die "the index targets do not build"; }
multi=$(cat bazel-bin/index/multi.digest)
expect_eq "image + platforms == images spelled out (same index digest)" "$multi" "$(cat bazel-bin/index/explicit.digest)"
expect_eq "index.json's sha256 is NAME.digest" "sha256:$(sha256sum bazel-bin/index/multi.index.json | cut -d' ' -f1)" "$multi"
platforms=$(jq -r '.manifests[] | .platform.os + "/" + .platform.architecture' bazel-bin/index/multi.index.json | tr '\n' ' ')
expect_eq "children's platforms come from the platforms' constraints, in order" "$platforms" "linux/amd64 linux/arm64 "
amd=$(jq -r '.manifests[0].digest' bazel-bin/index/multi.index.json)
arm=$(jq -r '.manifests[1].digest' bazel-bin/index/multi.index.json)
[ "$amd" != "$arm" ] || die "the two children are one image"
expect_eq "the docker form's media type" "$(jq -r .mediaType bazel-bin/index/explicit_docker.index.json)" \
  "application/vnd.docker.distribution.manifest.list.v2+json"

# The index action's inputs: each child's image files manifest, manifest and
# config (and the tool), no layer blob or descriptor.
bz "$OB" aquery "mnemonic(StrataIndex, $P:multi)" >"$IX/aquery.txt" 2>"$IX/aquery.err" ||
  { cat "$IX/aquery.err" >&2; die "aquery of StrataIndex failed"; }
inputs=$(sed -n 's/^ *Inputs: \[\(.*\)\]$/\1/p' "$IX/aquery.txt" | tr ',' '\n' | sed 's/^ *//' |
  grep -v '/strata$' | sed 's|.*/||' | sort | tr '\n' ' ')
expect_eq "StrataIndex reads only the children's image files manifests, manifests and configs (no layer blob)" "$inputs" \
  "app.config.json app.config.json app.image_files.json app.image_files.json app.manifest.json app.manifest.json "

# A fresh docker-registry: the real distribution registry, strict on manifests.
R=$(test_registry "$IX/registry")
bz "$OB" run "$P:multi.push" -- --repository "$R/multi" --tag v1 --platform-tags >"$IX/push.log" 2>&1 ||
  { cat "$IX/push.log" >&2; die "pushing the index to docker-registry failed"; }
pass "docker-registry accepts the index and both children"
skopeo inspect --tls-verify=false --raw "docker://$R/multi:v1" >"$IX/raw.json" || die "skopeo inspect --raw failed"
cmp -s "$IX/raw.json" bazel-bin/index/multi.index.json || die "skopeo inspect --raw docker://$R/multi:v1 is not multi.index.json"
pass "skopeo inspect --raw returns the built index byte for byte"
crane validate --insecure --remote "$R/multi:v1" >"$IX/validate.log" 2>&1 || { cat "$IX/validate.log" >&2; die "crane validate --remote rejects the pushed index"; }
pass "crane validate --remote accepts the pushed index (every child's blobs verified)"
expect_eq "crane digest --platform linux/arm64 is the arm64 child" "$(crane digest --insecure --platform linux/arm64 "$R/multi:v1")" "$arm"
crane manifest --insecure --platform linux/arm64 "$R/multi:v1" >"$IX/arm64.json" || die "crane manifest --platform failed"
expect_eq "crane manifest --platform linux/arm64 returns the arm64 child's manifest" "sha256:$(sha256sum "$IX/arm64.json" | cut -d' ' -f1)" "$arm"
expect_eq "platform tag v1-arm64 is the arm64 child" "$(crane digest --insecure "$R/multi:v1-arm64")" "$arm"
expect_eq "platform tag v1-amd64 is the amd64 child" "$(crane digest --insecure "$R/multi:v1-amd64")" "$amd"
skopeo copy --all --src-tls-verify=false "docker://$R/multi:v1" "oci:$IX/copy:v1" >"$IX/copy.log" 2>&1 ||
  { cat "$IX/copy.log" >&2; die "skopeo copy --all failed"; }
for d in "$multi" "$amd" "$arm"; do
  [ -f "$IX/copy/blobs/sha256/${d#sha256:}" ] || die "skopeo copy --all left out $d"
done
pass "skopeo copy --all copies the index and both children to an OCI layout"
skopeo inspect --raw "oci:bazel-bin/index/multi.oci:latest" | cmp -s - bazel-bin/index/multi.index.json ||
  die "output group oci_layout does not hold the index as latest"
pass "output group oci_layout holds the index as latest"
skopeo copy --all "oci:bazel-bin/index/multi.oci:latest" "oci:$IX/fromlayout:x" >/dev/null 2>&1 ||
  die "skopeo copy --all from the oci_layout output failed"
pass "skopeo copy --all reads every child from the oci_layout output"

# Re-push: one HEAD of the index per repository, nothing else.
before=$(grep -c '"GET /v2/\|"HEAD /v2/\|"PUT /v2/\|"POST /v2/\|"PATCH /v2/' "$IX/registry/registry.log" || true)
bz "$OB" run "$P:multi.push" -- --repository "$R/multi" >"$IX/repush.log" 2>&1 ||
  { cat "$IX/repush.log" >&2; die "re-push failed"; }
after=$(grep -c '"GET /v2/\|"HEAD /v2/\|"PUT /v2/\|"POST /v2/\|"PATCH /v2/' "$IX/registry/registry.log" || true)
grep '"GET /v2/\|"HEAD /v2/\|"PUT /v2/\|"POST /v2/\|"PATCH /v2/' "$IX/registry/registry.log" | tail -n $((after - before)) >"$IX/repush-requests.txt"
expect_eq "re-push of the unchanged index: requests other than the /v2/ ping" \
  "$(grep -vc '"GET /v2/ HTTP' "$IX/repush-requests.txt")" 1
contains "... and that one is a HEAD of the index" "$IX/repush-requests.txt" "\"HEAD /v2/multi/manifests/$multi HTTP"

bz "$OB" run "$P:multi.probe" -- --repository "$R/multi" --tag v1 >"$IX/probe.log" 2>&1 ||
  { cat "$IX/probe.log" >&2; die "probe of the pushed index did not exit 0"; }
pass "probe: the pushed index is complete (exit 0)"
set +e
bz "$OB" run "$P:multi.probe" -- --repository "$R/other" >"$IX/probe-missing.log" 2>&1
rc=$?
set -e
expect_eq "probe of a repository without the index exits" "$rc" 3

bz "$OB" run "$P:explicit_docker.push" -- --repository "$R/docker" --tag v1 >"$IX/push-docker.log" 2>&1 ||
  { cat "$IX/push-docker.log" >&2; die "docker-registry refused the Docker manifest list"; }
expect_eq "docker-registry serves the manifest list" "$(crane manifest --insecure "$R/docker:v1" | jq -r .mediaType)" \
  "application/vnd.docker.distribution.manifest.list.v2+json"
# image_pull(platforms = ...) of a pushed multi-arch base: inside an index
# each child builds on the base's child of its platform; outside, the first.
bz "$OB" run "$P:bases.push" -- --repository "$R/bases" >"$IX/push-bases.log" 2>&1 ||
  { cat "$IX/push-bases.log" >&2; die "pushing the bases index failed"; }
bases=$(cat bazel-bin/index/bases.digest)
cp WORKSPACE "$IX/WORKSPACE.orig"
cat >>WORKSPACE <<PULLS

load("@rules_strata//rules:defs.bzl", "image_pull")

image_pull(name = "index_base", digest = "$bases", image = "$R/bases", platforms = ["linux/amd64", "linux/arm64"])

image_pull(name = "index_base_s390x", digest = "$bases", image = "$R/bases", platforms = ["linux/amd64", "linux/s390x"])

image_pull(name = "index_base_amd64", digest = "$bases", image = "$R/bases", platforms = ["linux/amd64"])
PULLS
mkdir -p index_on_base
cat >index_on_base/BUILD.bazel <<'BUILD'
load("@rules_strata//rules:defs.bzl", "image", "image_index")

image(name = "app", base = "@index_base", cmd = ["/srv/hello.txt"])

image_index(
    name = "multi",
    image = ":app",
    platforms = ["@rules_strata//platforms:linux_amd64", "@rules_strata//platforms:linux_arm64"],
)

image(name = "outside", base = "@index_base")

image(name = "on_amd64_only", base = "@index_base_amd64")

image_index(
    name = "wants_arm64",
    image = ":on_amd64_only",
    platforms = ["@rules_strata//platforms:linux_amd64", "@rules_strata//platforms:linux_arm64"],
)
BUILD
bz "$OB" build //index_on_base:multi //index_on_base:outside >"$IX/on-base.log" 2>&1 ||
  { cat "$IX/on-base.log" >&2; die "an index on a pulled multi-arch base does not build"; }
for i in 0 1; do
  child=$(jq -r ".manifests[$i].digest" bazel-bin/index_on_base/multi.index.json)
  arch=$(jq -r ".manifests[$i].platform.architecture" bazel-bin/index_on_base/multi.index.json)
  cfg=$(find "$OB/execroot/real_inputs/bazel-out" -path '*index_on_base/app.manifest.json' -exec sh -c 'echo "sha256:$(sha256sum "$1" | cut -d" " -f1) $1"' _ {} \; |
    grep "^$child " | cut -d' ' -f2 | sed 's/manifest.json$/config.json/')
  [ -n "$cfg" ] || die "no built manifest of //index_on_base:app has digest $child"
  expect_eq "the $arch child of //index_on_base:multi is built on the base's $arch child" "$(jq -r '.config.Labels["built.for"]' "$cfg")" "$arch"
done
expect_eq "outside an index, @index_base is the first platform listed" \
  "$(jq -r '.architecture + " " + .config.Labels["built.for"]' bazel-bin/index_on_base/outside.config.json)" "amd64 amd64"
bz "$OB" run //index_on_base:multi.push -- --repository "$R/onbase" >"$IX/push-onbase.log" 2>&1 ||
  { cat "$IX/push-onbase.log" >&2; die "pushing an index on a shallow pulled base failed"; }
expect_eq "crane: linux/arm64 of the pushed index on the pulled base" \
  "$(crane digest --insecure --platform linux/arm64 "$R/onbase@$(cat bazel-bin/index_on_base/multi.digest)")" \
  "$(jq -r '.manifests[1].digest' bazel-bin/index_on_base/multi.index.json)"
if bz "$OB" build @index_base_s390x//:all >"$IX/s390x.log" 2>&1; then
  die "image_pull of a platform the index lacks succeeded"
fi
contains "image_pull refuses a platform the index lacks, naming the ones it has" "$IX/s390x.log" \
  "the index has no manifest for linux/s390x (it has: linux/amd64, linux/arm64)"
if bz "$OB" build //index_on_base:wants_arm64 >"$IX/wants-arm64.log" 2>&1; then
  die "an index asked a pull for a platform it does not list, and built"
fi
contains "an index platform the pull does not list is an error naming the pull's platforms" "$IX/wants-arm64.log" \
  'image_pull(name = "index_base_amd64") has only linux/amd64; an image_index asked it for another platform'
cp "$IX/WORKSPACE.orig" WORKSPACE
rm -rf index_on_base
stop_registry "$IX/registry"

# .inspect: digest, children, their layers; .load: the child for this
# machine or --platform, into a real podman with its own store.
bz "$OB" run "$P:multi.inspect" >"$IX/inspect.txt" 2>"$IX/inspect.err" || { cat "$IX/inspect.err" >&2; die ".inspect of the index failed"; }
contains ".inspect prints the index digest" "$IX/inspect.txt" "index digest: $multi"
contains ".inspect lists the arm64 child" "$IX/inspect.txt" "linux/arm64      $arm"
contains ".inspect describes each child's layers" "$IX/inspect.txt" "image digest: $arm"
PODMAN_STORE=$(mktemp -d /tmp/strata-podman.XXXXXX)
PODMAN=(--storage-driver=vfs --root "$PODMAN_STORE/root" --runroot "$PODMAN_STORE/run")
arm_cfg=$(jq -r .config.digest "$IX/arm64.json")
amd_cfg=$(jq -r .config.digest "$IX/copy/blobs/sha256/${amd#sha256:}")
STRATA_LOAD_ENGINE=podman bz "$OB" run "$P:multi.load" -- --platform linux/arm64 "${PODMAN[@]}" >"$IX/load-arm.txt" 2>&1 ||
  { cat "$IX/load-arm.txt" >&2; die ".load --platform linux/arm64 failed"; }
contains ".load says which child it loads" "$IX/load-arm.txt" "loading the linux/arm64 image of $P:multi into podman"
podman "${PODMAN[@]}" images --no-trunc --format '{{.ID}}' >"$IX/podman-ids.txt"
contains ".load --platform linux/arm64: podman has the arm64 child (image ID = its config digest)" "$IX/podman-ids.txt" "$arm_cfg"
expect_eq "podman inspect: architecture of the loaded child" "$(podman "${PODMAN[@]}" inspect --format '{{.Architecture}}' "$arm_cfg")" arm64
if [ "$(uname -m)" = x86_64 ]; then
  STRATA_LOAD_ENGINE=podman bz "$OB" run "$P:multi.load" -- "${PODMAN[@]}" >"$IX/load-host.txt" 2>&1 ||
    { cat "$IX/load-host.txt" >&2; die ".load for the host failed"; }
  podman "${PODMAN[@]}" images --no-trunc --format '{{.ID}}' >"$IX/podman-ids.txt"
  contains ".load without --platform loads the host's (amd64) child" "$IX/podman-ids.txt" "$amd_cfg"
fi
if STRATA_LOAD_ENGINE=podman bz "$OB" run "$P:multi.load" -- --platform linux/s390x >"$IX/load-s390x.txt" 2>&1; then
  die ".load --platform linux/s390x succeeded"
fi
contains ".load of a platform the index lacks names the ones it has" "$IX/load-s390x.txt" "the index has no image for linux/s390x (it has: linux/amd64 linux/arm64)"
rm -rf "$PODMAN_STORE"

# Another checkout path and output base, umask 077, TZ and LANG: the same index.
(umask 077 && copy_workspace "$IX/b/some/deeper/checkout")
(cd "$IX/b/some/deeper/checkout/e2e/workspaces/real_inputs" && umask 077 &&
  TZ=Pacific/Kiritimati LANG=de_DE.UTF-8 bz "$IX/b/ob" build "$P:multi" >"$IX/b.log" 2>&1) || { cat "$IX/b.log" >&2; die "build B of the index failed"; }
expect_eq "index digest with umask 077, TZ, LANG, another output base and checkout path" \
  "$(cat "$IX/b/some/deeper/checkout/e2e/workspaces/real_inputs/bazel-bin/index/multi.digest")" "$multi"
bazel --output_base="$IX/b/ob" shutdown >/dev/null 2>&1 || true
echo "index digest $multi (linux/amd64 $amd, linux/arm64 $arm)"

# The example of docs/image_index.md, from rules_strata's own examples.
bz "$OB" build @rules_strata//examples/multiarch:multiarch >"$IX/example.log" 2>&1 ||
  { cat "$IX/example.log" >&2; die "examples/multiarch (docs/image_index.md) does not build"; }
ex=bazel-bin/external/rules_strata/examples/multiarch/multiarch.index.json
[ -f "$ex" ] || die "examples/multiarch built no $ex"
expect_eq "examples/multiarch's children" "$(jq -r '.manifests[] | .platform.os + "/" + .platform.architecture' "$ex" | tr '\n' ' ')" \
  "linux/amd64 linux/arm64 "
