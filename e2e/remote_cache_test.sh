#!/usr/bin/env bash
# A shared remote cache across CI machines, end to end with a real cache
# (bazel-remote) and a real registry (docker-registry):
#  - machine 2 (new checkout path and output base) builds the examples with
#    zero local actions: every spawn is a remote cache hit;
#  - with --remote_download_toplevel no layer blob reaches machine 2, and
#    `bazel run ...push` streams the blobs from the cache (gRPC ByteStream,
#    and HTTP /cas/) straight to the registry, still downloading none;
#  - editing one file re-runs exactly that layer's action and the image actions;
#  - when the cache has evicted the layer blobs, push rebuilds them and says so;
#  - image.probe tells CI whether the image is already pushed (exit 0) or not (3);
#  - image.load loads under --remote_download_toplevel, and under
#    --remote_download_minimal (files left in the cache) says so and names the fix.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_bazel_remote

http_port=$(free_port)
grpc_port=$(free_port)
start_bazel_remote "$SCRATCH/cache" "$http_port" "$grpc_port"
reg_port=$(free_port)
start_registry "$SCRATCH/reg" "$reg_port"
# Machine 2 uses its workspace's default output base (push's recovery runs a
# nested `bazel build` there), so its path is new on every run and the
# output base is expunged at the end.
M2=$SCRATCH/m2/$(date +%s%N)/checkout
trap 'stop_registry "$SCRATCH/reg"; stop_registry "$SCRATCH/cache"; (cd "$M2" 2>/dev/null && bazel clean --expunge >/dev/null 2>&1); cleanup_servers' EXIT
R=127.0.0.1:$reg_port
export STRATA_REMOTE_CACHE=grpc://127.0.0.1:$grpc_port
TARGETS="//examples/hello:image //examples/hello:debug"

log "machine 1 builds and uploads"
copy_workspace "$SCRATCH/m1"
# The push target too: its SBOM reads every layer blob (StrataLayerListing),
# so the machine that fills the cache builds it, and push machines get hits.
(cd "$SCRATCH/m1" && scripts/remote_cache_rc.sh && bz "$SCRATCH/ob1" build --config=cache $TARGETS //examples/hello:image.push)
digest=$(cat "$SCRATCH/m1/bazel-bin/examples/hello/image.digest")

log "machine 2: same targets, new path and output base, Build without the Bytes"
copy_workspace "$M2"
cd "$M2"
scripts/remote_cache_rc.sh
bazel build --config=cache-minimal --execution_log_json_file="$SCRATCH/m2.json" $TARGETS
# spawns NAME.json: one "mnemonic hit" line per spawn.
spawns() { grep -E '"(mnemonic|remoteCacheHit)"' "$1" | paste - - | sed 's/.*"mnemonic": "\([A-Za-z]*\)".*"remoteCacheHit": \([a-z]*\).*/\1 \2/'; }
spawns "$SCRATCH/m2.json" > "$SCRATCH/m2.spawns"
expect_eq "spawns run locally on machine 2" "$(grep -c ' false$' "$SCRATCH/m2.spawns" || true)" 0
expect_eq "layer and image actions served by the cache" "$(grep -cE '^Strata(Layer|Image) true$' "$SCRATCH/m2.spawns")" 6
expect_eq "machine 2 digest" "$(cat bazel-bin/examples/hello/image.digest)" "$digest"
expect_eq "layer blobs downloaded to machine 2" "$(ls bazel-bin/examples/hello/ | grep -c '_layer\.tar' || true)" 0

log "machine 3 reads the same cache over HTTP: zero local actions too"
copy_workspace "$SCRATCH/m3"
(cd "$SCRATCH/m3" && STRATA_REMOTE_CACHE=http://127.0.0.1:$http_port scripts/remote_cache_rc.sh &&
  bz "$SCRATCH/ob3" build --config=cache-minimal --execution_log_json_file="$SCRATCH/m3.json" $TARGETS)
spawns "$SCRATCH/m3.json" > "$SCRATCH/m3.spawns"
expect_eq "spawns run locally on machine 3 (HTTP cache)" "$(grep -c ' false$' "$SCRATCH/m3.spawns" || true)" 0
expect_eq "machine 3 digest" "$(cat "$SCRATCH/m3/bazel-bin/examples/hello/image.digest")" "$digest"

log "load on machine 3: --remote_download_minimal names the fix; --remote_download_toplevel loads"
set +e
(cd "$SCRATCH/m3" && STRATA_LOAD_ENGINE=podman bz "$SCRATCH/ob3" run --config=cache --remote_download_minimal //examples/hello:image.load) > "$SCRATCH/load-min.txt" 2>&1
code=$?
set -e
expect_eq "load exit code when the image's files stayed in the cache" "$code" 1
contains "load names a missing file" "$SCRATCH/load-min.txt" "is not on this machine: the build left it in the remote cache"
contains "load names the image" "$SCRATCH/load-min.txt" "ERROR: //examples/hello:image: examples/hello/"
contains "load names the fix" "$SCRATCH/load-min.txt" "fix: bazel run --remote_download_toplevel //examples/hello:image.load"
# podman as root with its own vfs store in a short path (see real_inputs/run_targets.sh).
PODMAN_STORE=$(mktemp -d /tmp/strata-podman.XXXXXX)
PODMAN=(--storage-driver=vfs --root "$PODMAN_STORE/root" --runroot "$PODMAN_STORE/run")
(cd "$SCRATCH/m3" && STRATA_LOAD_ENGINE=podman bz "$SCRATCH/ob3" run --config=cache-minimal //examples/hello:image.load -- "${PODMAN[@]}") > "$SCRATCH/load-top.txt" 2>&1 ||
  { cat "$SCRATCH/load-top.txt"; die "load with --remote_download_toplevel failed"; }
expect_eq "podman image inspect: digest is the built manifest digest" \
  "$(podman "${PODMAN[@]}" image inspect --format '{{.Digest}}' strata.local/hello:latest)" "$digest"
rm -rf "$PODMAN_STORE"

log "push from machine 2 streams blobs from the cache (gRPC), downloading none"
bazel run --config=cache-minimal //examples/hello:image.push -- --repository "$R/bwob/hello" --no-rebuild > "$SCRATCH/push-grpc.txt" 2>&1 ||
  { cat "$SCRATCH/push-grpc.txt"; die "BwoB push via gRPC cache failed"; }
check "crane validate --remote (pushed from the gRPC cache)" crane validate --remote "$R/bwob/hello@$digest"
expect_eq "layer blobs on machine 2 after push" "$(ls bazel-bin/examples/hello/ | grep -c '_layer\.tar' || true)" 0
STRATA_REMOTE_CACHE=http://127.0.0.1:$http_port bazel run --config=cache-minimal //examples/hello:image.push -- \
  --repository "$R/bwob-http/hello" --no-rebuild > "$SCRATCH/push-http.txt" 2>&1 ||
  { cat "$SCRATCH/push-http.txt"; die "BwoB push via HTTP cache failed"; }
check "crane validate --remote (pushed from the HTTP cache)" crane validate --remote "$R/bwob-http/hello@$digest"

log "probe: already pushed (0) vs not (3)"
bazel run --config=cache-minimal //examples/hello:image.probe -- --repository "$R/bwob/hello" > "$SCRATCH/probe0.txt" 2>&1 ||
  { cat "$SCRATCH/probe0.txt"; die "probe of a pushed image did not exit 0"; }
contains "probe prints the digest" "$SCRATCH/probe0.txt" "image digest: $digest"
contains "probe: present" "$SCRATCH/probe0.txt" "$R/bwob/hello: present, tags up to date"
set +e
bazel run --config=cache-minimal //examples/hello:image.probe -- --repository "$R/never/hello" > "$SCRATCH/probe3.txt" 2>&1
code=$?
set -e
expect_eq "probe exit code for an image not pushed" "$code" 3
contains "probe: missing" "$SCRATCH/probe3.txt" "$R/never/hello: missing (4 of 4 blobs absent)"

log "one changed file on machine 2: one layer action and the image actions run"
echo "changed on machine 2" > examples/hello/config/greeting.txt
bazel build --config=cache-minimal --execution_log_json_file="$SCRATCH/m2-change.json" $TARGETS
spawns "$SCRATCH/m2-change.json" > "$SCRATCH/m2-change.spawns"
expect_eq "local spawns after the change" "$(grep ' false$' "$SCRATCH/m2-change.spawns" | sort | tr '\n' ' ')" "StrataImage false StrataImage false StrataLayer false "
grep -q '"progressMessage": "Building layer //examples/hello:config_layer"' "$SCRATCH/m2-change.json" || die "the layer that ran is not config_layer"
pass "the one layer action was //examples/hello:config_layer"
new_digest=$(cat bazel-bin/examples/hello/image.digest)

log "the cache evicts the layer blobs: push rebuilds them and says so"
# An LRU cache drops big, old blobs first; the small descriptors survive.
stop_registry "$SCRATCH/cache"
for hex in $(grep -o '"digest":"sha256:[0-9a-f]*"' bazel-bin/examples/hello/image.manifest.json | tail -n +2 | cut -d: -f3 | tr -d '"'); do
  rm -f "$SCRATCH/cache/data/cas.v2/${hex:0:2}/$hex"-*
done
start_bazel_remote "$SCRATCH/cache" "$http_port" "$grpc_port"
for hex in $(grep -o '"digest":"sha256:[0-9a-f]*"' bazel-bin/examples/hello/image.manifest.json | tail -n +2 | cut -d: -f3 | tr -d '"'); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/cas/$hex")" = 404 ] || die "layer $hex is still in the cache"
done
pass "the cache no longer has the image's layer blobs"
# The cache address carries credentials (Bazel accepts user:password@ in
# --remote_cache); the misses are reported, the credentials never printed.
STRATA_REMOTE_CACHE=grpc://ci:cache-s3cret@127.0.0.1:$grpc_port STRATA_REBUILD_FLAGS="--config=cache" \
  bazel run --config=cache-minimal //examples/hello:image.push -- \
  --repository "$R/evicted/hello" > "$SCRATCH/push-evicted.txt" 2>&1 ||
  { cat "$SCRATCH/push-evicted.txt"; die "push after eviction failed"; }
contains "push says it recovers" "$SCRATCH/push-evicted.txt" "the remote cache no longer has some layer blobs; rebuilding"
contains "the cache misses name the cache, redacted" "$SCRATCH/push-evicted.txt" "remote cache grpc://REDACTED@127.0.0.1:$grpc_port: not in the remote cache"
grep -qF cache-s3cret "$SCRATCH/push-evicted.txt" && die "the remote cache credentials were printed"
pass "the remote cache credentials are in no output of the push"
check "crane validate --remote (after eviction)" crane validate --remote "$R/evicted/hello@$new_digest"
