# run_targets: the `bazel run` helpers every `image` gets. They inherit the
# image's testonly, tags, features and compatibility; `.inspect` prints the
# digest, platform and layers (the page docs/image_inspect.md shows is what
# the example prints); `.load` loads into a real podman after skipping a
# docker CLI that has no daemon, and without any engine names the tarball by
# an absolute path that exists.
P=//run_targets
RT=$SCRATCH/run_targets
mkdir -p "$RT"

# labels QUERY: the sorted labels a `bazel query` expression matches.
labels() { bz "$OB" query --output=label "$1" 2>"$RT/query.err" | sort || { cat "$RT/query.err" >&2; die "bazel query $1"; }; }
helpers() { local n; for n in "$@"; do printf '%s\n' "$P:$n" "$P:$n.inspect" "$P:$n.load" "$P:$n.probe" "$P:$n.push"; done | sort; }

log "run_targets: every helper carries the image's testonly, tags, features and compatibility"
expect_eq "testonly targets" "$(labels "attr(testonly, 1, $P:all)")" "$(helpers testonly_image)"
expect_eq "targets with the user's tag" "$(labels "attr(tags, run_targets_tag, $P:all)")" "$(helpers testonly_image)"
# (kind: Bazel's own constraint and environment rules count as manual.)
expect_eq "manual helpers" "$(labels "attr(tags, manual, kind(image_, $P:all))")" \
  "$(helpers image incompatible_image testonly_image | grep '\.')"
expect_eq "targets with the user's features" "$(labels "attr(features, run_targets_feature, $P:all)")" "$(helpers testonly_image)"
expect_eq "targets compatible_with :env_a" "$(labels "attr(compatible_with, env_a, $P:all)")" "$(helpers testonly_image)"
expect_eq "targets with target_compatible_with :never" "$(labels "attr(target_compatible_with, never, $P:all)")" "$(helpers incompatible_image)"

bz "$OB" build "$P:testonly_image.push" "$P:testonly_image.probe" "$P:testonly_image.load" "$P:testonly_image.inspect" > "$RT/testonly.txt" 2>&1 ||
  { cat "$RT/testonly.txt" >&2; die "the helpers of a testonly image do not build"; }
pass "a testonly image's .push, .probe, .load and .inspect build"

bz "$OB" build "$P/..." > "$RT/all.txt" 2>&1 || { cat "$RT/all.txt" >&2; die "bazel build $P/... failed on the incompatible image"; }
pass "bazel build $P/... skips the incompatible image"
for h in push load inspect; do
  if bz "$OB" build "$P:incompatible_image.$h" > "$RT/incompatible.txt" 2>&1; then
    die "$P:incompatible_image.$h built for a platform it is incompatible with"
  fi
  grep -qE "^ +$P:incompatible_image\.$h +<-- target platform didn't satisfy constraint $P:never" "$RT/incompatible.txt" ||
    { cat "$RT/incompatible.txt" >&2; die "$P:incompatible_image.$h is not itself marked incompatible"; }
  pass "incompatible_image.$h is incompatible itself (its own target_compatible_with)"
done

log "run_targets: .inspect prints digest, platform and each layer's size, compression and target"
bz "$OB" run "$P:image.inspect" > "$RT/inspect.txt" 2> "$RT/inspect.err" || { cat "$RT/inspect.err" >&2; die "bazel run $P:image.inspect failed"; }
cat "$RT/inspect.txt"
B=$WS/bazel-bin/run_targets
contains "inspect: image digest" "$RT/inspect.txt" "image digest: $(cat "$B/image.digest")"
# The config digest, computed here by sha256sum: docker and podman show it as the image ID.
config_digest=sha256:$(sha256sum < "$B/image.config.json" | cut -d' ' -f1)
contains "inspect: config digest" "$RT/inspect.txt" "config:       $config_digest"
contains "inspect: platform" "$RT/inspect.txt" "platform:     linux/amd64"
# Each layer's row: position, exact size (a few hundred bytes), compression,
# short digest and target, all read from the manifest with jq.
i=0
for row in "greeting_layer gzip" "motd_layer zstd"; do
  read -r layer comp <<<"$row"
  size=$(jq -r ".layers[$i].size" "$B/image.manifest.json")
  digest=$(jq -r ".layers[$i].digest" "$B/image.manifest.json")
  i=$((i + 1))
  grep -qE "^$i +$size B +$comp +${digest:0:19} +$P:$layer\$" "$RT/inspect.txt" ||
    die "inspect: no row '$i $size B $comp ${digest:0:19} $P:$layer'"
  pass "inspect: layer $i is $size B, $comp, ${digest:0:19}, built by $P:$layer"
done

log "run_targets: the example on docs/image_inspect.md is what //examples/base:base.inspect prints"
# In the repository itself (not this workspace): the page shows the example base,
# whose digest WORKSPACE pins.
(cd "$SCRATCH/repo" && bz "$SCRATCH/ob-root" run //examples/base:base.inspect) > "$RT/base-inspect.txt" 2> "$RT/base-inspect.err" ||
  { cat "$RT/base-inspect.err" >&2; die "bazel run //examples/base:base.inspect failed"; }
# The page's first ```text block is the output of its first ```sh block.
awk '/^```text$/ {on = 1; next} /^```$/ && on {exit} on' "$ROOT/docs/image_inspect.md" > "$RT/doc-example.txt"
[ -s "$RT/doc-example.txt" ] || die "docs/image_inspect.md has no \`\`\`text example"
grep -qF 'bazel run //examples/base:base.inspect' "$ROOT/docs/image_inspect.md" || die "docs/image_inspect.md does not show the command it shows the output of"
diff -u "$RT/doc-example.txt" "$RT/base-inspect.txt" || die "docs/image_inspect.md's example differs from what bazel run //examples/base:base.inspect prints (fix: paste the output above)"
pass "docs/image_inspect.md shows the real output"

log "run_targets: .load skips a docker CLI without a daemon (and says why) and loads into podman"
# podman as root with its own vfs store, so the test touches nobody's images
# (in a short path: podman refuses a runroot longer than 50 characters).
PODMAN_STORE=$(mktemp -d /tmp/strata-podman.XXXXXX)
PODMAN=(podman --storage-driver=vfs --root "$PODMAN_STORE/root" --runroot "$PODMAN_STORE/run")
command -v docker >/dev/null || die "no docker CLI on PATH: this test needs one without a daemon (fix: install the docker CLI, e.g. Debian's docker.io)"
# A socket nobody listens on: the docker CLI finds no daemon even where one runs.
DOCKER_HOST=unix://$RT/no-daemon.sock bz "$OB" run "$P:image.load" -- "${PODMAN[@]:1}" > "$RT/load.txt" 2>&1 ||
  { cat "$RT/load.txt" >&2; die "bazel run $P:image.load failed"; }
contains "load says docker was skipped" "$RT/load.txt" "skipping docker: no daemon answers"
contains "load gives docker's own reason" "$RT/load.txt" "Cannot connect to the Docker daemon at unix://$RT/no-daemon.sock"
contains "load says it loads into podman" "$RT/load.txt" "loading $P:image into podman"
expect_eq "podman images: repository tag" \
  "$("${PODMAN[@]}" images --format '{{.Repository}}:{{.Tag}}')" "strata-e2e.local/run-targets:latest"
expect_eq "podman images: image ID is the config digest" \
  "$("${PODMAN[@]}" images --no-trunc --format '{{.ID}}' strata-e2e.local/run-targets:latest)" "$config_digest"

log "run_targets: podman gets the image through containers-storage: the manifest digest and layers as built"
contains "load says it goes through containers-storage" "$RT/load.txt" "into podman (containers-storage: layers it has are skipped)"
expect_eq "podman image inspect: digest is the built manifest digest" \
  "$("${PODMAN[@]}" image inspect --format '{{.Digest}}' strata-e2e.local/run-targets:latest)" "$(cat "$B/image.digest")"
expect_eq "podman image inspect: layers are the config's diff_ids" \
  "$("${PODMAN[@]}" image inspect --format '{{range .RootFS.Layers}}{{println .}}{{end}}' strata-e2e.local/run-targets:latest | grep .)" \
  "$(jq -r '.rootfs.diff_ids[]' "$B/image.config.json")"
if "${PODMAN[@]}" images --format '{{.Repository}}' | grep -q strata-load; then die "the load left its temporary name behind"; fi
pass "no temporary name left in podman"

log "run_targets: a second load after a change to the top layer never opens the unchanged bottom layer"
# The bottom layer's blob is overwritten with garbage: podman verifies every
# blob it reads, so the load only succeeds if it skipped that one.
grep -q 'greeting_layer' "$B/image.load.sh" || die "image.load.sh does not name greeting_layer's blob"
greeting_blob=$(readlink -f "$B"/greeting_layer.tar.gz)
cp "$greeting_blob" "$RT/greeting.blob"
cp "$WS/run_targets/motd.txt" "$RT/motd.txt.orig"
echo "changed for the second load" >> "$WS/run_targets/motd.txt"
bz "$OB" build "$P:image.load" > "$RT/build2.txt" 2>&1 || { cat "$RT/build2.txt" >&2; die "rebuild after the motd change failed"; }
chmod u+w "$greeting_blob"
head -c "$(stat -c %s "$RT/greeting.blob")" /dev/zero > "$greeting_blob"
# Control: into an empty store the same load must fail on the garbage blob.
CONTROL=(--storage-driver=vfs --root "$PODMAN_STORE/control-root" --runroot "$PODMAN_STORE/control-run")
if STRATA_LOAD_ENGINE=podman "$B/image.load.sh" "${CONTROL[@]}" > "$RT/load-control.txt" 2>&1; then
  die "control: a load into an empty store succeeded with a garbage bottom layer (the check below would prove nothing)"
fi
pass "control: into an empty store, the garbage bottom layer fails the load"
STRATA_LOAD_ENGINE=podman "$B/image.load.sh" "${PODMAN[@]:1}" > "$RT/load2.txt" 2>&1 ||
  { cat "$RT/load2.txt" >&2; die "second load read the unchanged bottom layer (its blob is garbage now)"; }
pass "second load succeeded without reading the unchanged bottom layer"
expect_eq "second load: podman has the new manifest digest" \
  "$("${PODMAN[@]}" image inspect --format '{{.Digest}}' strata-e2e.local/run-targets:latest)" "$(cat "$B/image.digest")"
cp "$RT/greeting.blob" "$greeting_blob"
cp "$RT/motd.txt.orig" "$WS/run_targets/motd.txt"
# Rebuild now, so the checks below (which grep the load's output for
# "docker") do not see Bazel's progress lines about the docker-archive.
bz "$OB" build "$P:image.load" > "$RT/build3.txt" 2>&1 || { cat "$RT/build3.txt" >&2; die "rebuild after restoring motd.txt failed"; }

log "run_targets: STRATA_LOAD_ENGINE picks the engine; one that is missing fails clearly"
"${PODMAN[@]}" rmi -a > /dev/null 2>&1
STRATA_LOAD_ENGINE=podman bz "$OB" run "$P:image.load" -- "${PODMAN[@]:1}" > "$RT/load-podman.txt" 2>&1 ||
  { cat "$RT/load-podman.txt" >&2; die "STRATA_LOAD_ENGINE=podman bazel run $P:image.load failed"; }
if grep -q docker "$RT/load-podman.txt"; then cat "$RT/load-podman.txt" >&2; die "STRATA_LOAD_ENGINE=podman still tried docker"; fi
expect_eq "podman images after STRATA_LOAD_ENGINE=podman" \
  "$("${PODMAN[@]}" images --no-trunc --format '{{.ID}}' strata-e2e.local/run-targets:latest)" "$config_digest"
if STRATA_LOAD_ENGINE=nerdctl-not-installed bz "$OB" run "$P:image.load" > "$RT/load-missing.txt" 2>&1; then
  die "STRATA_LOAD_ENGINE naming a missing command succeeded"
fi
contains "a missing STRATA_LOAD_ENGINE is named" "$RT/load-missing.txt" "STRATA_LOAD_ENGINE=nerdctl-not-installed: no such command on PATH"

log "run_targets: without docker or podman, .load says how to write the docker-archive"
# PATH keeps every command (bazel too) but neither engine.
mkdir -p "$RT/bin"
for d in ${PATH//:/ }; do
  for f in "$d"/*; do
    case ${f##*/} in docker* | podman*) continue ;; esac
    if [ -x "$f" ] && [ ! -e "$RT/bin/${f##*/}" ]; then ln -s "$f" "$RT/bin/${f##*/}"; fi
  done
done
if PATH=$RT/bin bz "$OB" run "$P:image.load" > "$RT/noengine.txt" 2>&1; then
  die "load without docker or podman succeeded"
fi
contains "load says what is missing" "$RT/noengine.txt" "neither docker nor podman is on PATH"
hint=$(sed -n 's/^  fix: install one of them, or write the docker-archive: //p' "$RT/noengine.txt")
expect_eq "the command it names" "$hint" "bazel build $P:image --output_groups=tarball (then bazel-bin/run_targets/image.tar)"
bz "$OB" build "$P:image" --output_groups=tarball >"$RT/tarball.txt" 2>&1 || { cat "$RT/tarball.txt" >&2; die "bazel build $P:image --output_groups=tarball failed"; }
check "that command writes the image's docker-archive where it says" tar -tf "$WS/bazel-bin/run_targets/image.tar" manifest.json
rm -rf "$PODMAN_STORE"

log "run_targets: docs/remote_cache.md's user.bazelrc lines write what scripts/remote_cache_rc.sh writes"
# The page shows the lines inline (users have no scripts/ of ours); this keeps
# them in step with the script this repository's own tests use.
awk '/^```sh$/ {on = 1; b = ""; next} /^```$/ && on {on = 0; if (b ~ /user\.bazelrc/) {printf "%s", b; exit}} on {b = b $0 "\n"}' \
  "$ROOT/docs/remote_cache.md" > "$RT/rc-snippet.sh"
grep -q '> user.bazelrc' "$RT/rc-snippet.sh" || die "docs/remote_cache.md has no \`\`\`sh block that writes user.bazelrc"
mkdir -p "$RT/rc-doc" "$RT/rc-script"
rc_env=(STRATA_REMOTE_CACHE=grpcs://cache.test:9092 "STRATA_REMOTE_HEADERS=x-api-key=k1,x-team=build
x-extra=3" STRATA_REMOTE_TLS_CA=/etc/ssl/ca.pem STRATA_REMOTE_INSTANCE=ci)
(cd "$RT/rc-doc" && env "${rc_env[@]}" bash -euo pipefail "$RT/rc-snippet.sh")
(cd "$RT/rc-script" && env "${rc_env[@]}" bash "$ROOT/scripts/remote_cache_rc.sh")
expect_eq "user.bazelrc from the page's lines and from the script" \
  "$(cat "$RT/rc-doc/user.bazelrc")" "$(grep -v '^#' "$RT/rc-script/user.bazelrc")"
contains "the page's user.bazelrc has every header" "$RT/rc-doc/user.bazelrc" "build:cache --remote_header=x-extra=3"
