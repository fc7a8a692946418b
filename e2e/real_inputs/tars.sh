# Sourced by e2e/real_inputs_test.sh (WS, OB, STRATA set; cwd = WS).
# Tars from other tools: GNU tar writes sparse files as PAX GNU.sparse.*
# members (--format=pax) or old GNU 'S' members (--format=gnu); every file's
# bytes in the layer must equal the input file's (sha256sum before archiving).

bz "$OB" build //tars:sparse_tars //tars:pax //tars:gnu >"$SCRATCH/tars-build.log" 2>&1 || {
  cat "$SCRATCH/tars-build.log" >&2
  die "//tars: the layers from sparse tars do not build"
}
pass "layers from GNU tar --sparse tars (pax and gnu formats) build"

# The inputs really are sparse, or this test proves nothing.
contains "the pax tar has GNU.sparse records" <(grep -a -o 'GNU.sparse.major=1' bazel-bin/tars/sparse-pax.tar | head -1) "GNU.sparse.major=1"
gnu_type=$(python3 -c 'import sys,tarfile
for m in tarfile.open(sys.argv[1]):
    print(m.name, m.type.decode())' bazel-bin/tars/sparse-gnu.tar | grep a-sparse)
expect_eq "the gnu tar stores a-sparse as type S" "$gnu_type" "opt/data/a-sparse S"

# tars_check NAME BLOB DECOMPRESS: extract the layer with GNU tar and compare.
tars_check() {
  local name=$1 blob=$2 decompress=$3 out=$SCRATCH/tars-$1
  rm -rf "$out" && mkdir -p "$out"
  tar "$decompress" -xf "bazel-bin/tars/$blob" -C "$out" || die "//tars:$name: GNU tar cannot extract the layer"
  (cd "$out" && sha256sum -c "$WS/bazel-bin/tars/input.sha256") >"$SCRATCH/tars-$name.check" 2>&1 || {
    cat "$SCRATCH/tars-$name.check" >&2
    die "//tars:$name: file bytes in the layer differ from the input files"
  }
  pass "//tars:$name: every file's sha256 in the layer equals the input's ($(head -c 16 "$WS/bazel-bin/tars/input.sha256")...)"
}
tars_check pax pax.tar.gz --gzip
tars_check gnu gnu.tar.zst --zstd

# strata's own listing agrees (it reads with archive/tar, independently of GNU tar).
"$STRATA" list-layer bazel-bin/tars/pax.tar.gz >"$SCRATCH/tars-pax.ndjson"
want=$(awk '$2 == "opt/data/a-sparse" {print $1}' bazel-bin/tars/input.sha256)
contains "list-layer shows a-sparse with the input's sha256" "$SCRATCH/tars-pax.ndjson" "\"path\":\"opt/data/a-sparse\",\"type\":\"file\",\"mode\":\"0644\",\"uid\":0,\"gid\":0,\"size\":65536,\"sha256\":\"$want\""

# The same files from two tar formats make one canonical layer: equal diffIDs
# (the blobs differ only by compression).
pax_diff=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["diffID"])' bazel-bin/tars/pax.descriptor.json)
gnu_diff=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["diffID"])' bazel-bin/tars/gnu.descriptor.json)
expect_eq "//tars:pax and //tars:gnu have one diffID" "$pax_diff" "$gnu_diff"
