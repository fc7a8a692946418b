#!/usr/bin/env bash
# Supply chain after the push (issue 8), on a fresh docker-registry (no
# referrers API, so the referrers tag schema is what is exercised):
# `bazel run //examples/hello:image.push` with STRATA_SIGNING_KEY set attaches
# the SBOM and the provenance as OCI referrers, signs the image and attests
# the provenance; cosign v2 (`verify`, `verify-attestation --type
# slsaprovenance1`) and oras (`discover`), built once per machine from the Go
# module proxy, accept them; the attached SBOM is the built file, byte for
# byte. A re-push sends no write request (registry log). A wrong key fails
# cosign verify; a missing, garbled or undecryptable key fails the push
# before anything is written, naming the variable and the fix. The private
# key and its password appear in no output base, disk cache, build output,
# execution log or printed output. docs/signing.md's example is run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
COSIGN=$(ensure_cosign)
ORAS=$(ensure_oras)

copy_workspace "$SCRATCH/ws"
cd "$SCRATCH/ws"
OB=$SCRATCH/ob
DISK=$SCRATCH/disk-cache
R=$(test_registry "$SCRATCH/reg")
LOG=$SCRATCH/reg/registry.log
# lines_since N PATTERN: registry log lines after line N matching PATTERN.
lines_since() { tail -n +"$(($1 + 1))" "$LOG" | grep -cE "$2" || true; }
WRITES='"(PUT|PATCH|POST) '
no_panic() { if grep -qE 'goroutine [0-9]+|panic:' "$1"; then cat "$1" >&2; die "a Go panic reached the user"; fi; }

log "a throwaway cosign key pair (and a second one, for the wrong-key case)"
PW="pw-$RANDOM-$RANDOM-secret"
mkdir -p "$SCRATCH/keys" "$SCRATCH/other"
(cd "$SCRATCH/keys" && COSIGN_PASSWORD=$PW "$COSIGN" generate-key-pair >/dev/null 2>&1) || die "cosign generate-key-pair failed"
(cd "$SCRATCH/other" && COSIGN_PASSWORD=other "$COSIGN" generate-key-pair >/dev/null 2>&1) || die "cosign generate-key-pair failed"
KEY=$SCRATCH/keys/cosign.key PUB=$SCRATCH/keys/cosign.pub
# A line of the encrypted key's body: if it shows up anywhere, the key leaked.
KEYLINE=$(sed -n 7p "$KEY")
[ ${#KEYLINE} -ge 40 ] || die "unexpected key file format: $(head -1 "$KEY")"

bzrun() { bz "$OB" run --disk_cache="$DISK" "$@"; }
push() { bzrun --execution_log_json_file="$SCRATCH/exec-$1.json" //examples/hello:image.push -- --repository "$R/$2" "${@:3}"; }

log "missing, garbled and undecryptable keys fail before anything is written"
# With the key in the environment, as a user who exports it would have it.
STRATA_SIGNING_KEY=$KEY COSIGN_PASSWORD=$PW \
  bz "$OB" build --disk_cache="$DISK" --execution_log_json_file="$SCRATCH/exec-build.json" //examples/hello:image.push
digest=$(cat bazel-bin/examples/hello/image.digest)
printf 'not a key\n' > "$SCRATCH/garbled.key"
mark=$(wc -l < "$LOG")
for c in "missing|$SCRATCH/nope.key|$PW|names a file that does not exist" \
         "garbled|$SCRATCH/garbled.key|$PW|does not hold a PEM private key" \
         "password|$KEY|wrong-password|cannot decrypt the signing key STRATA_SIGNING_KEY names with COSIGN_PASSWORD" \
         "envvar|env://NO_SUCH_KEY_VAR|$PW|NO_SUCH_KEY_VAR is empty or unset"; do
  IFS='|' read -r what key pw want <<<"$c"
  if STRATA_SIGNING_KEY=$key COSIGN_PASSWORD=$pw push "bad-$what" bad/hello > "$SCRATCH/bad-$what.txt" 2>&1; then
    die "push with a $what key succeeded"
  fi
  contains "$what key: says what is wrong" "$SCRATCH/bad-$what.txt" "$want"
  contains "$what key: names the variable" "$SCRATCH/bad-$what.txt" "STRATA_SIGNING_KEY"
  contains "$what key: gives the fix" "$SCRATCH/bad-$what.txt" "fix: "
  no_panic "$SCRATCH/bad-$what.txt"
done
expect_eq "registry writes by the failed pushes" "$(lines_since "$mark" "$WRITES")" 0

log "signed push: image, SBOM and provenance referrers, signature, attestation"
STRATA_SIGNING_KEY=$KEY COSIGN_PASSWORD=$PW push signed app/hello --tag v1 > "$SCRATCH/push1.txt" 2>&1 ||
  { cat "$SCRATCH/push1.txt"; die "signed push failed"; }
cat "$SCRATCH/push1.txt" >&2
contains "push prints repo@digest" "$SCRATCH/push1.txt" "$R/app/hello@$digest"
for w in "attached sbom referrer" "attached provenance referrer" "attached signature" "attached provenance attestation"; do
  contains "push says: $w" "$SCRATCH/push1.txt" "$w"
done

log "cosign verify and verify-attestation accept it (key, no transparency log)"
"$COSIGN" verify --key "$PUB" --insecure-ignore-tlog=true --allow-http-registry "$R/app/hello@$digest" \
  > "$SCRATCH/verify.json" 2> "$SCRATCH/verify.err" || { cat "$SCRATCH/verify.err"; die "cosign verify failed"; }
cat "$SCRATCH/verify.err" >&2
expect_eq "cosign verify: signed digest" "$(jq -r '.[0].critical.image["docker-manifest-digest"]' "$SCRATCH/verify.json")" "$digest"
"$COSIGN" verify-attestation --key "$PUB" --insecure-ignore-tlog=true --allow-http-registry --type slsaprovenance1 "$R/app/hello@$digest" \
  > "$SCRATCH/attest.json" 2> "$SCRATCH/attest.err" || { cat "$SCRATCH/attest.err"; die "cosign verify-attestation failed"; }
cat "$SCRATCH/attest.err" >&2
jq -r '.payload' "$SCRATCH/attest.json" | base64 -d > "$SCRATCH/statement.json"
expect_eq "attested predicate type" "$(jq -r .predicateType "$SCRATCH/statement.json")" "https://slsa.dev/provenance/v1"
expect_eq "attested subject" "sha256:$(jq -r '.subject[0].digest.sha256' "$SCRATCH/statement.json")" "$digest"
check "the attested statement is the built provenance" cmp -s "$SCRATCH/statement.json" bazel-bin/examples/hello/image.provenance.json

log "oras discover lists the SBOM and the provenance as referrers"
"$ORAS" discover --plain-http --format json "$R/app/hello@$digest" > "$SCRATCH/discover.json" 2> "$SCRATCH/discover.err" ||
  { cat "$SCRATCH/discover.err"; die "oras discover failed"; }
"$ORAS" discover --plain-http "$R/app/hello@$digest" >&2
types=$(jq -r '[(.referrers // .manifests)[].artifactType] | sort | join(",")' "$SCRATCH/discover.json")
expect_eq "referrers' artifact types" "$types" "application/spdx+json,application/vnd.in-toto+json"
sbom_ref=$(jq -r '(.referrers // .manifests)[] | select(.artifactType == "application/spdx+json") | .digest' "$SCRATCH/discover.json")
sbom_blob=$(crane manifest "$R/app/hello@$sbom_ref" | jq -r '.layers[0].digest')
crane blob "$R/app/hello@$sbom_blob" > "$SCRATCH/attached.spdx.json"
check "the attached SBOM is the built one, byte for byte" cmp -s "$SCRATCH/attached.spdx.json" bazel-bin/examples/hello/image.spdx.json
expect_eq "SBOM referrer's subject" "$(crane manifest "$R/app/hello@$sbom_ref" | jq -r .subject.digest)" "$digest"

log "a wrong key does not verify"
if "$COSIGN" verify --key "$SCRATCH/other/cosign.pub" --insecure-ignore-tlog=true --allow-http-registry "$R/app/hello@$digest" \
  > "$SCRATCH/wrong.txt" 2>&1; then
  die "cosign verify accepted another key"
fi
contains "cosign says the signature does not match" "$SCRATCH/wrong.txt" "no matching signatures"

log "re-push of the unchanged image uploads no attachment (registry log)"
mark=$(wc -l < "$LOG")
STRATA_SIGNING_KEY=$KEY COSIGN_PASSWORD=$PW push repush app/hello --tag v1 > "$SCRATCH/push2.txt" 2>&1 ||
  { cat "$SCRATCH/push2.txt"; die "re-push failed"; }
cat "$SCRATCH/push2.txt" >&2
expect_eq "registry writes by the re-push" "$(lines_since "$mark" "$WRITES")" 0
contains "re-push counts nothing sent" "$SCRATCH/push2.txt" "attachments sent 0 write requests, 0 bytes"
contains "re-push finds the signature" "$SCRATCH/push2.txt" "already attached: sbom referrer"
expect_eq ".sig still holds one signature" "$(crane manifest "$R/app/hello:sha256-${digest#sha256:}.sig" | jq '.layers | length')" 1

log "the key in a variable (env://VAR), pushed by the script bazel run --script_path writes, so Bazel never sees it"
# Bazel's server log (java.log) records every client variable whose name
# lacks PASS, AUTH or COOKIE: run the push script outside Bazel (docs/signing.md).
bz "$OB" run --disk_cache="$DISK" --script_path="$SCRATCH/push-script.sh" //examples/hello:image.push
STRATA_SIGNING_KEY=env://SIGNING_PEM SIGNING_PEM=$(cat "$KEY") COSIGN_PASSWORD=$PW "$SCRATCH/push-script.sh" \
  --repository "$R/env/hello" > "$SCRATCH/push3.txt" 2>&1 || { cat "$SCRATCH/push3.txt"; die "push with env:// key failed"; }
"$COSIGN" verify --key "$PUB" --insecure-ignore-tlog=true --allow-http-registry "$R/env/hello@$digest" > /dev/null 2>&1 ||
  die "cosign verify of the env:// signed push failed"
pass "cosign verify of the env:// signed push"

log "unsigned push attaches the referrers only"
push unsigned plain/hello > "$SCRATCH/push4.txt" 2>&1 || { cat "$SCRATCH/push4.txt"; die "unsigned push failed"; }
contains "unsigned push attaches the SBOM" "$SCRATCH/push4.txt" "attached sbom referrer"
grep -q "attached signature" "$SCRATCH/push4.txt" && die "an unsigned push signed"
crane manifest "$R/plain/hello:sha256-${digest#sha256:}.sig" >/dev/null 2>&1 && die "an unsigned push wrote a .sig"
pass "unsigned push writes no signature"

log "an index push is signed too (the index digest; no referrers: image_index has no SBOM yet)"
STRATA_SIGNING_KEY=$KEY COSIGN_PASSWORD=$PW bzrun //examples/multiarch:multiarch.push -- --repository "$R/multi/hello" \
  --refs-out "$SCRATCH/multi-ref.txt" > "$SCRATCH/push-index.txt" 2>&1 || { cat "$SCRATCH/push-index.txt"; die "signed index push failed"; }
contains "index push signs" "$SCRATCH/push-index.txt" "attached signature"
check "cosign verify of the signed index" "$COSIGN" verify --key "$PUB" --insecure-ignore-tlog=true --allow-http-registry "$(cat "$SCRATCH/multi-ref.txt")" >/dev/null 2>&1

log "docs/signing.md's example runs as written"
sed -n '/<!-- example: signing -->/,/<!-- end example -->/p' "$ROOT/docs/signing.md" | sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' > "$SCRATCH/doc-example.sh"
[ -s "$SCRATCH/doc-example.sh" ] || die "docs/signing.md has no example block"
{ echo "bazel() { command bazel --output_base='$OB' \"\$@\"; }"; cat "$SCRATCH/doc-example.sh"; } > "$SCRATCH/doc-run.sh"
(export PATH="$(dirname "$COSIGN"):$(dirname "$ORAS"):$PATH" COSIGN_PASSWORD=$PW REGISTRY=$R
 cd "$SCRATCH/ws" && bash -euo pipefail "$SCRATCH/doc-run.sh") > "$SCRATCH/doc.txt" 2>&1 ||
  { cat "$SCRATCH/doc.txt"; die "the docs/signing.md example failed"; }
contains "the doc example verifies" "$SCRATCH/doc.txt" "The following checks were performed"

log "the private key and its password are in no output, cache, log or action"
leaks=$(grep -rlF -e "$KEYLINE" -e "$PW" "$OB" "$DISK" "$SCRATCH"/*.txt "$SCRATCH"/*.json "$SCRATCH/reg" "$(readlink -f bazel-bin)" 2>/dev/null || true)
[ -z "$leaks" ] || die "the signing key or its password leaked into: $leaks"
pass "no trace of the key or password in the output base, disk cache, execution logs, registry or printed output"
contains "the execution logs searched include the attach-spec action" "$SCRATCH/exec-build.json" StrataAttachSpec
