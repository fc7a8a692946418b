#!/usr/bin/env bash
# `bazel run ...push` against a real registry (Debian's docker-registry, the
# CNCF distribution registry) with htpasswd auth: credentials from docker's
# config.json and from the environment, two organisations in one run with
# cross-repository mounts, a re-push that uploads nothing, stamped tag
# templates that never change the image digest, dry runs, refs files, load,
# and a base pulled by digest whose layer is mounted or streamed registry to
# registry, never downloaded. Readers: skopeo and crane.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
share_tool # one strata tool per test command: its build is not what this suite tests

copy_workspace "$SCRATCH/ws"
cd "$SCRATCH/ws"
OB=$SCRATCH/ob
SECRET="s3cret-$RANDOM-pw"
R=$(test_registry "$SCRATCH/reg" ci "$SECRET")
LOG=$SCRATCH/reg/registry.log
mkdir -p "$SCRATCH/docker-empty" "$SCRATCH/docker"
docker_auth "$R" ci "$SECRET" > "$SCRATCH/docker/config.json"

bz "$OB" build //examples/hello:image
digest=$(cat bazel-bin/examples/hello/image.digest)
push() { bz "$OB" run //examples/hello:image.push -- "$@"; }
# lines_since N PATTERN: count registry log lines after line N matching PATTERN.
lines_since() { tail -n +"$(($1 + 1))" "$LOG" | grep -cE "$2" || true; }

log "without credentials: refused, clearly, and nothing is written"
mark=$(wc -l < "$LOG")
if DOCKER_CONFIG=$SCRATCH/docker-empty push --repository "$R/org-a/hello" > "$SCRATCH/noauth.txt" 2>&1; then
  die "push without credentials succeeded"
fi
contains "error says access was refused" "$SCRATCH/noauth.txt" "refused access"
contains "error says how to log in" "$SCRATCH/noauth.txt" "docker login"
contains "error says no tag moved" "$SCRATCH/noauth.txt" "no tag was moved"
grep -qE 'goroutine [0-9]+|panic:' "$SCRATCH/noauth.txt" && die "a Go panic reached the user"
expect_eq "writes without credentials" "$(lines_since "$mark" '"(PUT|PATCH) ')" 0

log "docker config.json credentials; two organisations, two tags, refs file"
mark=$(wc -l < "$LOG")
DOCKER_CONFIG=$SCRATCH/docker push --repository "$R/org-a/hello" --repository "$R/org-b/hello" \
  --tag v1 --tag pr-1-abc1234 --refs-out "$SCRATCH/refs.txt" > "$SCRATCH/push1.txt" 2>&1 || { cat "$SCRATCH/push1.txt"; die "push failed"; }
expect_eq "refs file" "$(cat "$SCRATCH/refs.txt")" "$R/org-a/hello@$digest
$R/org-b/hello@$digest"
contains "prints repo@digest" "$SCRATCH/push1.txt" "$R/org-b/hello@$digest"
for ref in org-a/hello:v1 org-b/hello:pr-1-abc1234; do
  expect_eq "skopeo inspect docker://$R/$ref" \
    "$(skopeo inspect --tls-verify=false --creds "ci:$SECRET" --format '{{.Digest}}' "docker://$R/$ref")" "$digest"
  check "crane validate --remote $R/$ref" env DOCKER_CONFIG="$SCRATCH/docker" crane validate --remote "$R/$ref"
done
contains "counts: everything uploaded to org-a, config included" "$SCRATCH/push1.txt" "$R/org-a/hello: uploaded 4 blobs"
contains "counts: everything mounted into org-b" "$SCRATCH/push1.txt" "$R/org-b/hello: uploaded 0 blobs (0 bytes), mounted 4, already present 0"
expect_eq "blob uploads (PATCH) to org-b" "$(lines_since "$mark" '"PATCH /v2/org-b/')" 0
# config + 3 layers, and the referrers' blobs (empty config, SBOM, provenance: docs/signing.md)
expect_eq "cross-repository mounts into org-b (config + 3 layers + 3 attachment blobs)" "$(lines_since "$mark" '"POST /v2/org-b/hello/blobs/uploads/\?from=org-a')" 7

log "re-push of the unchanged image: one manifest check per repository, nothing written"
mark=$(wc -l < "$LOG")
DOCKER_CONFIG=$SCRATCH/docker push --repository "$R/org-a/hello" --repository "$R/org-b/hello" --tag v1 --tag pr-1-abc1234 > /dev/null 2>&1
expect_eq "writes on re-push" "$(lines_since "$mark" '"(POST|PUT|PATCH) ')" 0
expect_eq "manifest checks by digest on re-push" "$(lines_since "$mark" '"HEAD /v2/org-./hello/manifests/sha256:')" 2

log "credentials from the environment; dry run"
mark=$(wc -l < "$LOG")
DOCKER_CONFIG=$SCRATCH/docker-empty STRATA_REGISTRY_USERNAME=ci STRATA_REGISTRY_PASSWORD="$SECRET" \
  push --repository "$R/org-c/hello" --dry-run > "$SCRATCH/dry.txt" 2>&1
contains "dry run lists the uploads" "$SCRATCH/dry.txt" "would upload 4 blobs"
expect_eq "writes during a dry run" "$(lines_since "$mark" '"(POST|PUT|PATCH) ')" 0
DOCKER_CONFIG=$SCRATCH/docker-empty STRATA_REGISTRY_USERNAME=ci STRATA_REGISTRY_PASSWORD="$SECRET" \
  push --repository "$R/org-c/hello" --tag env > /dev/null 2>&1 || die "push with environment credentials failed"
expect_eq "pushed with environment credentials" \
  "$(skopeo inspect --tls-verify=false --creds "ci:$SECRET" --format '{{.Digest}}' "docker://$R/org-c/hello:env")" "$digest"

log "credentials from a docker credential helper (credHelpers)"
mkdir -p "$SCRATCH/helper-bin" "$SCRATCH/docker-helper"
cat > "$SCRATCH/helper-bin/docker-credential-stratatest" <<HELPER
#!/bin/sh
# The docker credential-helper protocol: "get" reads a server URL on stdin.
[ "\$1" = get ] || exit 1
read -r server
echo "{\"ServerURL\":\"\$server\",\"Username\":\"ci\",\"Secret\":\"$SECRET\"}"
HELPER
chmod +x "$SCRATCH/helper-bin/docker-credential-stratatest"
printf '{"credHelpers":{"%s":"stratatest"}}' "$R" > "$SCRATCH/docker-helper/config.json"
PATH=$SCRATCH/helper-bin:$PATH DOCKER_CONFIG=$SCRATCH/docker-helper push --repository "$R/org-d/hello" --tag helper > /dev/null 2>&1 ||
  die "push with a credential helper failed"
expect_eq "pushed with credHelpers" \
  "$(skopeo inspect --tls-verify=false --creds "ci:$SECRET" --format '{{.Digest}}' "docker://$R/org-d/hello:helper")" "$digest"
mkdir -p "$SCRATCH/docker-store"
printf '{"credsStore":"stratatest"}' > "$SCRATCH/docker-store/config.json"
PATH=$SCRATCH/helper-bin:$PATH DOCKER_CONFIG=$SCRATCH/docker-store push --repository "$R/org-d/hello" --tag store > /dev/null 2>&1 ||
  die "push with a credentials store (credsStore) failed"
expect_eq "pushed with credsStore" \
  "$(skopeo inspect --tls-verify=false --creds "ci:$SECRET" --format '{{.Digest}}' "docker://$R/org-d/hello:store")" "$digest"

log "stamped tag templates; stamping never changes layers or the digest"
PR_NUMBER=42 BRANCH="Feature/JIRA-7 Login Page" SHORT_SHA=abc1234 DOCKER_CONFIG=$SCRATCH/docker \
  bz "$OB" run --stamp --workspace_status_command=examples/hello/workspace_status.sh \
  --execution_log_json_file="$SCRATCH/stamp-exec.json" //examples/hello:release -- --repository "$R/org-a/hello" > /dev/null 2>&1 ||
  die "stamped push failed"
expect_eq "expanded tags" "$(cat bazel-bin/examples/hello/release.tags.txt)" "pr-42-abc1234
feature-jira-7-login-page-abc1234"
expect_eq "layer/image actions re-run by --stamp" "$(grep -cE '"mnemonic": "Strata(Layer|Image)"' "$SCRATCH/stamp-exec.json" || true)" 0
expect_eq "digest with --stamp" "$(cat bazel-bin/examples/hello/image.digest)" "$digest"
skopeo list-tags --tls-verify=false --creds "ci:$SECRET" "docker://$R/org-a/hello" > "$SCRATCH/tags.json"
contains "tag pr-42-abc1234 pushed" "$SCRATCH/tags.json" '"pr-42-abc1234"'
contains "sanitized branch tag pushed" "$SCRATCH/tags.json" '"feature-jira-7-login-page-abc1234"'

log "secrets appear in no output, log or action key"
if grep -rIl -- "$SECRET" "$OB" bazel-bin/ "$SCRATCH"/*.txt "$SCRATCH"/*.json 2>/dev/null | grep -v htpasswd; then
  die "the registry password leaked into the files above"
fi
pass "the password is in no Bazel output, output-base file or command output"

log "load: streams the docker-archive into docker or podman (STRATA_LOAD_VIA=archive for podman)"
mkdir -p "$SCRATCH/fakebin"
printf '#!/bin/sh\n[ "$1" = load ] && cat > %s\n' "$SCRATCH/loaded.tar" > "$SCRATCH/fakebin/podman"
chmod +x "$SCRATCH/fakebin/podman"
bz "$OB" build //examples/hello:image.load >/dev/null 2>&1
# The load writes the archive while the engine reads it: building .load
# builds no NAME.tar (a full copy of every layer that podman does not read).
[ ! -e bazel-bin/examples/hello/image.tar ] || die "building .load wrote bazel-bin/examples/hello/image.tar"
pass "building .load writes no image.tar"
STRATA_LOAD_VIA=archive PATH=$SCRATCH/fakebin:/usr/bin:/bin bazel-bin/examples/hello/image.load.sh 2>/dev/null
bz "$OB" build //examples/hello:image --output_groups=tarball >/dev/null 2>&1
check "podman load got exactly the tarball output group's bytes" cmp -s "$SCRATCH/loaded.tar" bazel-bin/examples/hello/image.tar
if PATH=/nonexistent /bin/bash bazel-bin/examples/hello/image.load.sh > "$SCRATCH/noload.txt" 2>&1; then
  die "load without docker or podman succeeded"
fi
contains "load explains what is missing" "$SCRATCH/noload.txt" "neither docker nor podman is on PATH"
contains "load says how to get the docker-archive" "$SCRATCH/noload.txt" "bazel build //examples/hello:image --output_groups=tarball (then bazel-bin/examples/hello/image.tar)"

log "a base pulled by digest: its layer is never downloaded"
ensure_example_registry
seed_example_base
bz "$OB" build //examples/on_base:image
[ ! -e "$OB/external/strata_example_base/blobs/layer_0" ] || die "the shallow base downloaded its layer"
pass "shallow base: manifest and config only"
base_layer=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$OB/external/strata_example_base/layer_0.json")
mark=$(wc -l < "$LOG")
DOCKER_CONFIG=$SCRATCH/docker bz "$OB" run //examples/on_base:image.push -- --repository "$R/org-a/on-base" > /dev/null 2>&1 ||
  die "push of the image on the pulled base to another registry failed"
on_base=$(cat bazel-bin/examples/on_base/image.digest)
check "crane validate --remote (base layer streamed from $EXAMPLE_REGISTRY)" env DOCKER_CONFIG="$SCRATCH/docker" crane validate --remote "$R/org-a/on-base@$on_base"
expect_eq "skopeo inspect of the image on the pulled base" \
  "$(skopeo inspect --tls-verify=false --creds "ci:$SECRET" --format '{{.Digest}}' "docker://$R/org-a/on-base@$on_base")" "$on_base"
elog=$ROOT/.cache/registry/registry.log
[ -f "$elog" ] || elog=/dev/null
before=$(wc -l < "$elog" 2>/dev/null || echo 0)
bz "$OB" run //examples/on_base:image.push -- --repository "$EXAMPLE_REGISTRY/strata/on-base-e2e-$RANDOM" > /dev/null 2>&1 ||
  die "push of the image on the pulled base to the base's registry failed"
if [ "$elog" != /dev/null ]; then
  expect_eq "base layer mounted from strata/base" \
    "$(tail -n +"$((before + 1))" "$elog" | grep -cE "POST /v2/strata/on-base-e2e-[0-9]+/blobs/uploads/\?from=strata%2Fbase&mount=${base_layer/:/%3A}")" 1
fi
if bz "$OB" build //examples/on_base:image --output_groups=tarball > "$SCRATCH/shallow-tar.txt" 2>&1; then
  die "a tarball of an image on a shallow base built without its base layer"
fi
contains "tarball on a shallow base says what to do" "$SCRATCH/shallow-tar.txt" "set download_layers = True"
bz "$OB" build //examples/on_base:image_full --output_groups=+tarball >/dev/null 2>&1 || die "image on the downloaded base failed"
check "crane validate --tarball (image on the downloaded base)" crane validate --tarball bazel-bin/examples/on_base/image_full.tar

# ---- Secrets, rogue servers, bad targets, true counts (issue 12) ----
(cd "$ROOT" && go build -o "$SCRATCH/recorder" ./e2e/recorder)
STRATA=$(strata_path "$OB")
# recorder MODE NAME: starts e2e/recorder on a free port; prints the port.
recorder() {
  local p
  p=$(free_port)
  "$SCRATCH/recorder" --addr "127.0.0.1:$p" --mode "$1" --log "$SCRATCH/$2.log" > /dev/null 2>&1 &
  echo $! > "$SCRATCH/$2.pid"
  stop_at_exit "$SCRATCH/$2.pid"
  for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.05; done
  echo "$p"
}

log "--refs-out into a missing directory fails before anything is pushed"
mark=$(wc -l < "$LOG")
if DOCKER_CONFIG=$SCRATCH/docker push --repository "$R/org-e/hello" --tag v1 --refs-out "$SCRATCH/no/such/dir/refs.txt" > "$SCRATCH/refs-missing.txt" 2>&1; then
  die "push with --refs-out into a missing directory succeeded"
fi
contains "error names --refs-out and the path" "$SCRATCH/refs-missing.txt" "$SCRATCH/no/such/dir/refs.txt"
contains "error says nothing was pushed" "$SCRATCH/refs-missing.txt" "nothing was pushed"
expect_eq "writes (PUT/PATCH/POST) before the refs-out failure" "$(lines_since "$mark" '"(POST|PUT|PATCH) ')" 0

log "dry run: no refs on stdout; mounts reported as mounts"
DOCKER_CONFIG=$SCRATCH/docker push --repository "$R/org-f/hello" --repository "$R/org-g/hello" --dry-run \
  > "$SCRATCH/dry2.out" 2> "$SCRATCH/dry2.err" || { cat "$SCRATCH/dry2.err"; die "dry run failed"; }
expect_eq "dry run stdout (no repo@digest: nothing was pushed)" "$(cat "$SCRATCH/dry2.out")" ""
contains "dry run: uploads into the first repository" "$SCRATCH/dry2.err" "$R/org-f/hello: would upload 4 blobs"
contains "dry run: mounts into the second" "$SCRATCH/dry2.err" "$R/org-g/hello: would upload 0 blobs (0 bytes), mount 4"
contains "dry run names the mount source" "$SCRATCH/dry2.err" "would mount sha256:"

log "a web server is not a registry: the error says so, and nothing is written there"
web=$(recorder notfound web)
if DOCKER_CONFIG=$SCRATCH/docker push --repository "127.0.0.1:$web/team/hello" > "$SCRATCH/notreg.txt" 2>&1; then
  die "push to a web server succeeded"
fi
contains "error names the host" "$SCRATCH/notreg.txt" "127.0.0.1:$web"
contains "error says it is not a registry" "$SCRATCH/notreg.txt" "is not an OCI registry"
contains "error says what to check" "$SCRATCH/notreg.txt" "fix: check the repository's host and port"
grep -qE 'goroutine [0-9]+|panic:' "$SCRATCH/notreg.txt" && die "a Go panic reached the user"
expect_eq "writes to the web server" "$(grep -cE '^(POST|PUT|PATCH) ' "$SCRATCH/web.log" || true)" 0
set +e
bz "$OB" run //examples/hello:image.probe -- --repository "127.0.0.1:$web/team/hello" > "$SCRATCH/probe-web.txt" 2>&1
code=$?
set -e
expect_eq "probe of a web server exits 1 (an error), never 3 (\"go push\")" "$code" 1
contains "probe says it is not a registry" "$SCRATCH/probe-web.txt" "is not an OCI registry"

log "a remote cache address with credentials is never printed (cache miss over HTTP, gRPC cache down)"
# A spec whose first layer is not on this machine: push must ask the cache.
sed 's#examples/hello/app_layer.tar.gz#examples/hello/not_here_layer.tar.gz#' bazel-bin/examples/hello/image.push.push.json > "$SCRATCH/miss.json"
for cache in "http://ci:$SECRET@127.0.0.1:$web" "grpc://ci:$SECRET@127.0.0.1:$(free_port)" "http://$SECRET@127.0.0.1:$web"; do
  out=$SCRATCH/cache-$RANDOM.txt
  if DOCKER_CONFIG=$SCRATCH/docker STRATA_ORIG_PWD=$PWD "$STRATA" push --spec "$SCRATCH/miss.json" --repository "$R/org-h/hello" \
    --remote-cache "$cache" --no-rebuild > "$out" 2>&1; then
    die "push without the blob succeeded"
  fi
  contains "the cache is named, redacted (${cache%%:*})" "$out" "remote cache ${cache%%:*}://REDACTED@127.0.0.1:"
  grep -qF -- "$SECRET" "$out" && { cat "$out"; die "the cache credentials were printed"; }
  pass "cache address credentials not printed (${cache%%:*})"
  if DOCKER_CONFIG=$SCRATCH/docker STRATA_ORIG_PWD=$PWD STRATA_REMOTE_CACHE=$cache "$STRATA" push --spec "$SCRATCH/miss.json" \
    --repository "$R/org-h/hello" --no-rebuild > "$out" 2>&1; then
    die "push without the blob succeeded"
  fi
  grep -qF -- "$SECRET" "$out" && { cat "$out"; die "the cache credentials (STRATA_REMOTE_CACHE) were printed"; }
  pass "STRATA_REMOTE_CACHE credentials not printed (${cache%%:*})"
done

log "environment credentials never reach a base image's registry (a rogue server asking for Basic auth)"
rogue=$(recorder basic rogue)
spec=bazel-bin/examples/on_base/image.push.push.json
grep -qF '"source": "'"$EXAMPLE_REGISTRY/strata/base"'"' "$spec" || die "$spec has no base layer from $EXAMPLE_REGISTRY"
sed "s#\"source\": \"$EXAMPLE_REGISTRY/strata/base\"#\"source\": \"127.0.0.1:$rogue/strata/base\"#" "$spec" > "$SCRATCH/rogue.json"
DOCKER_CONFIG=$SCRATCH/docker-empty STRATA_REGISTRY_USERNAME=ci STRATA_REGISTRY_PASSWORD="$SECRET" STRATA_ORIG_PWD=$PWD \
  "$STRATA" push --spec "$SCRATCH/rogue.json" --repository "$R/org-i/on-base" > "$SCRATCH/rogue.txt" 2>&1 || true
[ -s "$SCRATCH/rogue.log" ] || { cat "$SCRATCH/rogue.txt"; die "the rogue base registry was never asked: the test proves nothing"; }
expect_eq "Authorization headers the rogue base registry received" "$(grep -vc ' auth=-$' "$SCRATCH/rogue.log" || true)" 0
grep -qF -- "$SECRET" "$SCRATCH/rogue.txt" && die "the password was printed"
pass "the password is in no output of the rogue-registry push"
