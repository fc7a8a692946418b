# Stamping (issue 12, item 6 and "stamping beyond tags"): labels, annotations
# and created from the workspace status without re-running a layer action;
# volatile keys in tag templates filled when the push runs, so two stamped
# pushes with different values push two tags; unstamped, the plain tags stay
# pushable and the error names the templates and the fix.
# shellcheck shell=bash

STATUS=--workspace_status_command=stamp/status.sh

log "stamp: the BUILD example of docs/stamping.md is the one built here"
python3 - "$WS/stamp/BUILD.bazel" "$WS/stamp/status.sh" "$SCRATCH/repo/docs/stamping.md" <<'PY' || die "docs/stamping.md and stamp/ disagree"
import sys
build, status, doc = (open(p).read() for p in sys.argv[1:])
example = build.split("# BEGIN docs/stamping.md example\n")[1].split("# END docs/stamping.md example")[0]
assert example.strip() and example in doc, "the example between BEGIN/END in stamp/BUILD.bazel is not verbatim in docs/stamping.md"
assert "```sh\n" + status + "```" in doc, "stamp/status.sh is not verbatim in docs/stamping.md"
PY
pass "docs/stamping.md shows stamp/BUILD.bazel's example and stamp/status.sh verbatim"

# config_field FILE EXPR prints a field of a JSON file (python expression on j).
json_field() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
revision='["org.opencontainers.image.revision"]'

log "stamp: unstamped, templates are kept as written and created is 0"
bz "$OB" build //stamp:app >"$SCRATCH/stamp-build0.log" 2>&1 || { cat "$SCRATCH/stamp-build0.log" >&2; die "unstamped build of //stamp:app failed"; }
expect_eq "unstamped label" "$(json_field bazel-bin/stamp/app.config.json "j['config']['Labels']$revision")" "{STABLE_GIT_COMMIT}"
expect_eq "unstamped created" "$(json_field bazel-bin/stamp/app.config.json "j['created']")" "1970-01-01T00:00:00Z"
unstamped=$(cat bazel-bin/stamp/app.digest)

log "stamp: stamped, labels, annotations and created come from the status"
GIT_COMMIT=aaa1111 COMMIT_TIME=1700000000 bz "$OB" build --stamp "$STATUS" //stamp:app >"$SCRATCH/stamp-build1.log" 2>&1 ||
  { cat "$SCRATCH/stamp-build1.log" >&2; die "stamped build of //stamp:app failed"; }
expect_eq "stamped label" "$(json_field bazel-bin/stamp/app.config.json "j['config']['Labels']$revision")" "aaa1111"
expect_eq "stamped annotation" "$(json_field bazel-bin/stamp/app.manifest.json "j['annotations']$revision")" "aaa1111"
expect_eq "stamped created" "$(json_field bazel-bin/stamp/app.config.json "j['created']")" "2023-11-14T22:13:20Z"
expect_eq "stamped history time" "$(json_field bazel-bin/stamp/app.config.json "j['history'][-1]['created']")" "2023-11-14T22:13:20Z"
first=$(cat bazel-bin/stamp/app.digest)
[ "$first" != "$unstamped" ] || die "stamping did not change the digest"
# Reproducible: the same status in another output base, under another umask,
# gives the same digest.
(umask 0077 && GIT_COMMIT=aaa1111 COMMIT_TIME=1700000000 bz "$SCRATCH/ob-stamp2" build --stamp "$STATUS" //stamp:app >"$SCRATCH/stamp-build1b.log" 2>&1) ||
  { cat "$SCRATCH/stamp-build1b.log" >&2; die "stamped build in a second output base failed"; }
expect_eq "stamped digest in another output base and umask" "$(cat bazel-bin/stamp/app.digest)" "$first"
bazel --output_base="$SCRATCH/ob-stamp2" shutdown >/dev/null 2>&1 || true

log "stamp: a new commit re-runs the image action, and no layer action"
GIT_COMMIT=bbb2222 COMMIT_TIME=1700000100 bz "$OB" build --stamp "$STATUS" --execution_log_json_file="$SCRATCH/stamp-exec.json" \
  //stamp:app >"$SCRATCH/stamp-build2.log" 2>&1 || { cat "$SCRATCH/stamp-build2.log" >&2; die "second stamped build failed"; }
expect_eq "StrataLayer actions run for a new stamp" "$(grep -c '"mnemonic": "StrataLayer"' "$SCRATCH/stamp-exec.json" || true)" 0
expect_eq "StrataImage actions run for a new stamp" "$(grep -c '"mnemonic": "StrataImage"' "$SCRATCH/stamp-exec.json" || true)" 1
expect_eq "label of the new commit" "$(json_field bazel-bin/stamp/app.config.json "j['config']['Labels']$revision")" "bbb2222"
bz "$OB" build //stamp:app >/dev/null 2>&1 || die "unstamped rebuild failed"
expect_eq "unstamped again: the same digest as before stamping" "$(cat bazel-bin/stamp/app.digest)" "$unstamped"

log "stamp: two stamped pushes with different volatile values push two tags"
st_repo=$(test_registry "$SCRATCH/stamp-reg")/team/stamped
for pr in 101 102; do
  PR_NUMBER=$pr GIT_COMMIT=bbb2222 COMMIT_TIME=1700000100 bz "$OB" run --stamp "$STATUS" //stamp:release -- --repository "$st_repo" \
    >"$SCRATCH/stamp-push-$pr.log" 2>&1 || { cat "$SCRATCH/stamp-push-$pr.log" >&2; die "stamped push with PR_NUMBER=$pr failed"; }
done
skopeo list-tags --tls-verify=false "docker://$st_repo" > "$SCRATCH/stamp-tags.json" || { die "list-tags failed"; }
for t in latest pr-101-bbb2222 pr-102-bbb2222; do
  contains "tag $t pushed" "$SCRATCH/stamp-tags.json" "\"$t\""
done
expect_eq "pr-102 names the image" "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$st_repo:pr-102-bbb2222")" "$(cat bazel-bin/stamp/app.digest)"

log "stamp: unstamped, the push names the templates and the fix; plain tags stay pushable"
if bz "$OB" run //stamp:release -- --repository "$st_repo-plain" >"$SCRATCH/stamp-unstamped.log" 2>&1; then
  die "an unstamped push of templates succeeded"
fi
for s in "//stamp:release" "pr-{BUILD_PR_NUMBER}-{STABLE_GIT_COMMIT}" "bazel run --stamp" "--skip-tag-templates"; do
  contains "the unstamped error says $s" "$SCRATCH/stamp-unstamped.log" "$s"
done
bz "$OB" run //stamp:release -- --repository "$st_repo-plain" --skip-tag-templates >"$SCRATCH/stamp-plain.log" 2>&1 ||
  { cat "$SCRATCH/stamp-plain.log" >&2; die "pushing the plain tags without --stamp failed"; }
# Push attaches the SBOM and provenance (docs/signing.md); docker-registry has
# no referrers API, so they are listed under the OCI referrers tag schema
# (sha256-<hex>): not a tag the push was asked for, so left out here.
expect_eq "plain tags of an unstamped push" "$(skopeo list-tags --tls-verify=false "docker://$st_repo-plain" | python3 -c 'import json,re,sys; print(" ".join(t for t in json.load(sys.stdin)["Tags"] if not re.fullmatch("sha256-[0-9a-f]{64}", t)))')" "latest"
stop_registry "$SCRATCH/stamp-reg"
