# sbom and provenance (issue 8): the `sbom` and `provenance` output groups
# of an image holding a real Go program. The SPDX tools' own parser (e2e/real_inputs/spdxcheck) must accept
# and validate it; its files must be exactly what umoci unpacks from the
# image, with the same sha256; the program's build info (main module, its
# dependency, Go version) and the base's digest must be there; a plain build
# must run none of its actions. The provenance's subject must be the image
# digest and its resolved dependencies the base digest and the sha256 of each
# layer input; stamped, it carries the workspace status and builder id. A
# second unstamped build (other output base, checkout and umask) must give
# the same bytes for both.
# shellcheck shell=bash

log "sbom: the example of docs/sbom.md is the one built here"
python3 - "$WS/sbom/BUILD.bazel" "$SCRATCH/repo/docs/sbom.md" <<'PY' || die "docs/sbom.md and sbom/BUILD.bazel disagree"
import sys
build, doc = (open(p).read() for p in sys.argv[1:])
example = build.split("# BEGIN docs/sbom.md example\n")[1].split("# END docs/sbom.md example")[0]
assert example.strip() and "```python\n" + example + "```" in doc, "the example between BEGIN/END in sbom/BUILD.bazel is not verbatim in docs/sbom.md"
PY
pass "docs/sbom.md shows sbom/BUILD.bazel's example verbatim"

log "sbom: build a static Go program into the workspace copy, and the SPDX checker"
(cd "$ROOT/e2e/real_inputs/sbom_hello" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -buildvcs=false -o "$WS/sbom/hello" .) ||
  die "cannot build the Go program of the sbom test"
(cd "$ROOT" && go build -o "$SCRATCH/spdxcheck" ./e2e/real_inputs/spdxcheck) || die "cannot build spdxcheck"
go_version=$(go env GOVERSION)

log "sbom: a plain build runs no SBOM action"
bz "$OB" build //sbom:image >"$SCRATCH/sbom-plain.log" 2>&1 ||
  { cat "$SCRATCH/sbom-plain.log" >&2; die "building //sbom:image failed"; }
check "a plain build lists no layer" test ! -e bazel-bin/sbom/image.sbom
check "a plain build writes no SBOM" test ! -e bazel-bin/sbom/image.spdx.json
check "a plain build writes no provenance" test ! -e bazel-bin/sbom/image.provenance.json

log "sbom: --output_groups=sbom"
bz "$OB" build //sbom:image --output_groups=sbom >"$SCRATCH/sbom-build.log" 2>&1 ||
  { cat "$SCRATCH/sbom-build.log" >&2; die "building the sbom output group of //sbom:image failed"; }
doc=bazel-bin/sbom/image.spdx.json
"$SCRATCH/spdxcheck" "$doc" > "$SCRATCH/sbom-facts.txt" || die "the SPDX tools' parser refuses $doc"
pass "the SPDX tools' parser reads and validates $doc"
digest=$(cat bazel-bin/sbom/image.digest)
contains "the namespace derives from the image digest" "$SCRATCH/sbom-facts.txt" "namespace https://rules-strata.dev/spdx/sha256/${digest#sha256:}"
contains "the document describes the image" "$SCRATCH/sbom-facts.txt" "described Image"
contains "the image is a package with its digest" "$SCRATCH/sbom-facts.txt" "package //sbom:image $digest"
contains "the base is a package with its digest" "$SCRATCH/sbom-facts.txt" "package //sbom:base $(cat bazel-bin/sbom/base.digest)"
contains "the program's main module" "$SCRATCH/sbom-facts.txt" "package example.com/hello (devel)"
contains "the program's dependency, at its version" "$SCRATCH/sbom-facts.txt" "package golang.org/x/sync v0.22.0"
contains "the Go version the program was built with" "$SCRATCH/sbom-facts.txt" "package stdlib $go_version"

log "sbom: its files are what umoci unpacks from the image"
bz "$OB" build //sbom:image --output_groups=oci_layout >"$SCRATCH/sbom-layout.log" 2>&1 ||
  { cat "$SCRATCH/sbom-layout.log" >&2; die "building the layout of //sbom:image failed"; }
umoci unpack --rootless --image "bazel-bin/sbom/image.oci:latest" "$SCRATCH/sbom-bundle" >"$SCRATCH/sbom-umoci.log" 2>&1 ||
  { cat "$SCRATCH/sbom-umoci.log" >&2; die "umoci cannot unpack //sbom:image"; }
(cd "$SCRATCH/sbom-bundle/rootfs" && find . -type f -printf '%P\n' | LC_ALL=C sort | while read -r f; do
  echo "file /$f $(sha256sum < "$f" | cut -c1-64)"
done) > "$SCRATCH/sbom-unpacked.txt"
grep '^file ' "$SCRATCH/sbom-facts.txt" | LC_ALL=C sort > "$SCRATCH/sbom-files.txt"
diff -u "$SCRATCH/sbom-unpacked.txt" "$SCRATCH/sbom-files.txt" >&2 || die "the SBOM's files differ from the image's (- umoci, + SBOM)"
pass "the SBOM lists the $(wc -l < "$SCRATCH/sbom-files.txt") files umoci unpacks, with their sha256"
contains "the program is listed with the sha256 of the built binary" "$SCRATCH/sbom-files.txt" "file /app/hello $(sha256sum < sbom/hello | cut -c1-64)"

# syft, an independent SBOM generator, built from the Go module proxy once
# per machine (v1.40.0: newer releases need module versions the proxy here
# does not serve). It is large: if it cannot be built, say so and go on.
SYFT_VERSION=v1.40.0
SYFT_DIR=$HOME/.cache/rules_strata/tools/syft-$SYFT_VERSION
if [ ! -x "$SYFT_DIR/syft" ]; then
  log "sbom: building syft $SYFT_VERSION into $SYFT_DIR (once per machine; up to 15 minutes)"
  mkdir -p "$SYFT_DIR"
  (cd "$SCRATCH" && GOBIN=$SYFT_DIR CGO_ENABLED=0 GOFLAGS= timeout 900 nice go install "github.com/anchore/syft/cmd/syft@$SYFT_VERSION") \
    >"$SCRATCH/syft-build.log" 2>&1 || { tail -5 "$SCRATCH/syft-build.log" >&2; rm -f "$SYFT_DIR/syft"; }
fi
if [ -x "$SYFT_DIR/syft" ]; then
  log "sbom: syft sees the same files and Go modules in the OCI layout"
  SYFT_CHECK_FOR_APP_UPDATE=false SYFT_FILE_METADATA_SELECTION=all SYFT_FILE_METADATA_DIGESTS=sha256 \
    "$SYFT_DIR/syft" scan -q oci-dir:bazel-bin/sbom/image.oci -o "syft-json=$SCRATCH/syft.json" ||
    die "syft cannot scan the OCI layout of //sbom:image"
  python3 - "$SCRATCH/syft.json" "$SCRATCH/sbom-files.txt" "$SCRATCH/sbom-facts.txt" <<'PY' || die "syft and the SBOM disagree"
import json, sys
syft = json.load(open(sys.argv[1]))
theirs = sorted("file %s %s" % (f["location"]["path"], d["value"])
                for f in syft.get("files", []) for d in f.get("digests", []) if d["algorithm"] == "sha256")
ours = open(sys.argv[2]).read().split("\n")[:-1]
assert theirs == ours, "files: syft %s, ours %s" % (theirs, ours)
packages = {tuple(l.rstrip("\n").split(" ")[1:3]) for l in open(sys.argv[3]) if l.startswith("package ")}
mods = sorted((a["name"], a["version"]) for a in syft["artifacts"] if a["type"] == "go-module")
names = {n for n, _ in packages}
for name, version in mods:
    # syft reports a main module built outside version control as UNKNOWN; we keep Go's "(devel)".
    assert (name, version) in packages or (version == "UNKNOWN" and name in names), "syft's %s %s is not in the SBOM" % (name, version)
assert len(mods) == 3, mods
print("PASS: syft sees the %d files with the same sha256 and the Go modules %s" % (len(ours), mods))
PY
else
  echo "SKIP: syft $SYFT_VERSION could not be built here (see $SCRATCH/syft-build.log); the comparison with syft did not run"
fi

log "sbom: on a pulled base (the docker_base concern's images): the base by its pinned digest; a shallow base's layer without files"
ensure_example_registry
skopeo inspect --raw --tls-verify=false "docker://$EXAMPLE_REGISTRY/strata/docker-base:1" >/dev/null 2>&1 || {
  # shellcheck source=/dev/null
  source "$ROOT/e2e/real_inputs/docker_base.sh"
  cd "$WS"
}
bz "$OB" build //docker_base:app //docker_base:app_shallow --output_groups=sbom >"$SCRATCH/sbom-pulled.log" 2>&1 ||
  { cat "$SCRATCH/sbom-pulled.log" >&2; die "building the SBOMs of the images on @docker_base failed"; }
for t in app app_shallow; do
  "$SCRATCH/spdxcheck" "bazel-bin/docker_base/$t.spdx.json" > "$SCRATCH/sbom-$t.txt" || die "the SPDX tools' parser refuses the SBOM of //docker_base:$t"
done
pinned=$(sed -n 's/^ *digest = "\(sha256:[0-9a-f]*\)",  # docker_base$/\1/p' WORKSPACE)
[ -n "$pinned" ] || die "cannot read the pinned digest of @docker_base from WORKSPACE"
contains "the pulled base is a package with its pinned digest" "$SCRATCH/sbom-app.txt" "package @docker_base//:docker_base $pinned"
contains "the downloaded base layer's file is listed" "$SCRATCH/sbom-app.txt" "file /etc/docker-base.txt $(sha256sum < docker_base/base.txt | cut -c1-64)"
contains "the shallow base is a package with its pinned digest" "$SCRATCH/sbom-app_shallow.txt" "package @docker_base_shallow//:docker_base_shallow $pinned"
expect_eq "a shallow base's layer lists no file; the image's own layer does" "$(grep '^file ' "$SCRATCH/sbom-app_shallow.txt" | cut -d' ' -f2)" "/app/app.txt"
grep -q "shallow pull), so its files are not listed" bazel-bin/docker_base/app_shallow.spdx.json ||
  die "the SBOM of //docker_base:app_shallow does not say why the base layer has no files"
pass "the SBOM of //docker_base:app_shallow says why the base layer has no files"

log "provenance: --output_groups=provenance, unstamped"
bz "$OB" build //sbom:image --output_groups=provenance >"$SCRATCH/provenance-build.log" 2>&1 ||
  { cat "$SCRATCH/provenance-build.log" >&2; die "building the provenance output group of //sbom:image failed"; }
prov=bazel-bin/sbom/image.provenance.json
cp "$prov" "$SCRATCH/provenance-unstamped.json"
python3 - "$prov" "$digest" "$(cat bazel-bin/sbom/base.digest)" sbom/hello sbom/config.txt <<'PY' || die "the provenance of //sbom:image is wrong"
import hashlib, json, sys
st = json.load(open(sys.argv[1]))
digest, base = sys.argv[2], sys.argv[3]
assert st["_type"] == "https://in-toto.io/Statement/v1", st["_type"]
assert st["predicateType"] == "https://slsa.dev/provenance/v1", st["predicateType"]
assert st["subject"] == [{"name": "//sbom:image", "digest": {"sha256": digest[7:]}}], st["subject"]
bd = st["predicate"]["buildDefinition"]
assert bd["buildType"] == "https://rules-strata.dev/image/v1", bd["buildType"]
assert bd["externalParameters"] == {"target": "//sbom:image"}, bd["externalParameters"]
deps = {(d["name"], d["digest"]["sha256"]) for d in bd["resolvedDependencies"]}
assert ("//sbom:base", base[7:]) in deps, "no base digest in %s" % deps
for f in sys.argv[4:]:
    want = (f, hashlib.sha256(open(f, "rb").read()).hexdigest())
    assert want in deps, "no %s in %s" % (want, deps)
assert st["predicate"]["runDetails"] == {"builder": {"id": "https://rules-strata.dev/builder/bazel"}}, st["predicate"]["runDetails"]
print("PASS: provenance: subject %s, base and the sha256 of each layer input resolved (%d dependencies)" % (digest, len(deps)))
PY

log "provenance: a tree artifact's files by content, its symlinks by target text"
bz "$OB" build //sbom:tree_image --output_groups=provenance >"$SCRATCH/provenance-tree.log" 2>&1 ||
  { cat "$SCRATCH/provenance-tree.log" >&2; die "building the provenance of //sbom:tree_image failed"; }
python3 - bazel-bin/sbom/tree_image.provenance.json <<'PY' || die "the provenance of //sbom:tree_image is wrong"
import hashlib, json, sys
st = json.load(open(sys.argv[1]))
got = {d["name"]: (d["digest"]["sha256"], d.get("annotations", {}).get("symlink", ""))
       for d in st["predicate"]["buildDefinition"]["resolvedDependencies"] if d["name"].startswith("sbom/tree/")}
h = lambda b: hashlib.sha256(b).hexdigest()
want = {"sbom/tree/a.txt": (h(b"a\n"), ""), "sbom/tree/sub/b.txt": (h(b"b\n"), ""),
        "sbom/tree/abs": (h(b"/etc/passwd"), "/etc/passwd"), "sbom/tree/in": (h(b"a.txt"), "a.txt")}
assert got == want, "tree inputs %s, want %s" % (got, want)
print("PASS: provenance: the tree artifact's 2 files by content and 2 symlinks by target, none followed")
PY

log "provenance: stamped, with the workspace status and builder id"
GIT_COMMIT=abc1234 PR_NUMBER=42 BUILDER_ID=https://ci.invalid/runner/7 \
  bz "$OB" build //sbom:image --output_groups=provenance --stamp --workspace_status_command=sbom/status.sh >"$SCRATCH/provenance-stamped.log" 2>&1 ||
  { cat "$SCRATCH/provenance-stamped.log" >&2; die "building the stamped provenance of //sbom:image failed"; }
python3 - "$prov" <<'PY' || die "the stamped provenance of //sbom:image is wrong"
import json, sys
st = json.load(open(sys.argv[1]))
ext = st["predicate"]["buildDefinition"]["externalParameters"]
ws = ext["workspaceStatus"]
assert ext["target"] == "//sbom:image", ext
assert ws["STABLE_GIT_COMMIT"] == "abc1234" and ws["BUILD_PR_NUMBER"] == "42", ws
assert "BUILD_HOST" not in ws and "BUILD_USER" not in ws and "BUILD_TIMESTAMP" not in ws, ws
rd = st["predicate"]["runDetails"]
assert rd["builder"]["id"] == "https://ci.invalid/runner/7", rd
assert rd["metadata"]["startedOn"].endswith("Z"), rd
print("PASS: stamped provenance: commit, PR and builder id from the workspace status; no host or user")
PY

log "sbom: a second unstamped build (another checkout and output base, umask 077) gives the same bytes"
(umask 077; copy_workspace "$SCRATCH/sbom-b/repo")
cp sbom/hello "$SCRATCH/sbom-b/repo/e2e/workspaces/real_inputs/sbom/hello"
(cd "$SCRATCH/sbom-b/repo/e2e/workspaces/real_inputs" && umask 077 &&
  bz "$SCRATCH/sbom-b/ob" build //sbom:image --output_groups=sbom,provenance) >"$SCRATCH/sbom-b.log" 2>&1 ||
  { cat "$SCRATCH/sbom-b.log" >&2; die "the second build of the sbom failed"; }
bazel --output_base="$SCRATCH/sbom-b/ob" shutdown >/dev/null 2>&1 || true
b_bin=$SCRATCH/sbom-b/repo/e2e/workspaces/real_inputs/bazel-bin/sbom
check "the SBOM is byte-identical across builds" cmp "$doc" "$b_bin/image.spdx.json"
check "the unstamped provenance is byte-identical across builds" cmp "$SCRATCH/provenance-unstamped.json" "$b_bin/image.provenance.json"
