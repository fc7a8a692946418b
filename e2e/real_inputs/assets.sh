# Asset trees as web teams have them (package assets/): a glob of static/
# with css/, js/, img/ and two README.txt keeps its directories, with and
# without strip_prefix; symlinks a generator left in its output directory
# stay symlinks; modes come from the BUILD files, never from the bits on
# disk; editing, adding or deleting an asset changes the layer.
#   STRATA_UPDATE_GOLDEN=1 bash e2e/real_inputs_test.sh assets   rewrites golden/
assets_layers="site site_unstripped site_srcs start_layer serve_layer links_layer loop_layer tree_srcs_layer"
assets_targets=()
for l in $assets_layers; do assets_targets+=("//assets:$l"); done

# assets_build OB [FLAGS...]: builds every assets layer, or dies with the log.
assets_build() {
  local ob=$1
  shift
  bz "$ob" build "$@" "${assets_targets[@]}" >"$SCRATCH/assets-build.log" 2>&1 ||
    { cat "$SCRATCH/assets-build.log" >&2; die "assets layers do not build"; }
}
# assets_list LAYER: the per-entry listing of that layer in ./bazel-bin.
assets_list() { "$STRATA" list-layer --compression gzip "bazel-bin/assets/$1.tar.gz"; }
assets_digest() { sha256sum "bazel-bin/assets/$1.tar.gz" | cut -d' ' -f1; }

assets_build "$OB"
for l in $assets_layers; do
  assets_list "$l" >"$SCRATCH/assets-$l.ndjson"
  golden=$ROOT/e2e/workspaces/real_inputs/assets/golden/$l.ndjson
  if [ -n "${STRATA_UPDATE_GOLDEN:-}" ]; then
    mkdir -p "$(dirname "$golden")"
    cp "$SCRATCH/assets-$l.ndjson" "$golden"
    echo "updated $golden"
    continue
  fi
  diff -u "$golden" "$SCRATCH/assets-$l.ndjson" || die "assets:$l differs from golden/$l.ndjson (diff above)"
  pass "assets:$l matches golden/$l.ndjson"
done

a=$SCRATCH/assets
contains "glob keeps css/ apart from js/ (same basename, two files)" "$a-site.ndjson" '{"path":"srv/www/css/README.txt","type":"file","mode":"0644"'
contains "glob keeps js/README.txt" "$a-site.ndjson" '{"path":"srv/www/js/README.txt","type":"file","mode":"0644"'
contains "glob keeps img/" "$a-site.ndjson" '{"path":"srv/www/img/logo.svg"'
contains "without strip_prefix files keep their package path" "$a-site_unstripped.ndjson" '{"path":"srv/www/static/css/site.css"'
expect_eq "srcs + package_dir + strip_prefix \"static\" == files + strip_prefix \"/assets/static\"" \
  "$(assets_digest site_srcs)" "$(assets_digest site)"
contains "a checked-in script is 0755 because executables says so" "$a-start_layer.ndjson" '{"path":"usr/local/bin/start","type":"file","mode":"0755"'
contains "checked-in runfiles are 0644" "$a-serve_layer.ndjson" '{"path":"usr/local/bin/serve.runfiles/real_inputs/assets/bin/serve.sh","type":"file","mode":"0644"'
contains "runfiles keep their directories" "$a-serve_layer.ndjson" '{"path":"usr/local/bin/serve.runfiles/real_inputs/assets/static/css/README.txt"'
contains "a symlink to a host file in a tree artifact stays a symlink" "$a-links_layer.ndjson" '{"path":"opt/links/abs","type":"symlink","mode":"0777","uid":0,"gid":0,"link":"/etc/passwd"'
contains "a symlink to a directory in a tree artifact stays a symlink" "$a-links_layer.ndjson" '{"path":"opt/links/dirlink","type":"symlink","mode":"0777","uid":0,"gid":0,"link":"sub"'
contains "a symlink loop in a tree artifact is stored, not walked" "$a-loop_layer.ndjson" '{"path":"opt/loop/self","type":"symlink","mode":"0777","uid":0,"gid":0,"link":"."'
contains "a tree artifact in srcs, strip_prefix = its own path" "$a-tree_srcs_layer.ndjson" '{"path":"opt/tree/sub/b.txt"'

# Remote workers receive every input with the execute bit set; a checkout
# may drop it. Flip the bit of every file of the package in a second copy
# and build there in another output base, without the sandbox (which stages
# tree artifacts as symlinks): every layer must be byte-identical.
flipped=$SCRATCH/assets-flipped
copy_workspace "$flipped"
echo "$SCRATCH/ob-assets-flipped" >> "$OUTPUT_BASES_FILE"
(
  cd "$flipped/e2e/workspaces/real_inputs"
  find assets -type f | while read -r f; do
    if [ -x "$f" ]; then chmod a-x "$f"; else chmod a+x "$f"; fi
  done
  chmod a+x assets/bin/serve.sh # sh_binary itself refuses a source without it
  [ ! -x assets/bin/start.sh ] && [ -x assets/static/css/site.css ] || die "chmod did not flip the bits"
  assets_build "$SCRATCH/ob-assets-flipped" --spawn_strategy=local
  for l in $assets_layers; do
    if [ "$(sha256sum "bazel-bin/assets/$l.tar.gz" | cut -d' ' -f1)" != "$(cd "$WS" && assets_digest "$l")" ]; then
      "$STRATA" list-layer --compression gzip "bazel-bin/assets/$l.tar.gz" |
        diff -u "$SCRATCH/assets-$l.ndjson" - >&2 || true
      die "assets:$l changed when execute bits flipped on disk / without the sandbox (diff above)"
    fi
  done
)
pass "flipped execute bits on disk, another output base, --spawn_strategy=local: all ${#assets_targets[@]} layers identical"
bazel --output_base="$SCRATCH/ob-assets-flipped" shutdown >/dev/null 2>&1

# Stale-layer check: editing, adding and deleting files of the glob each
# change the layer.
before=$(assets_digest site)
printf 'h1 { color: red; }\n' >>assets/static/css/site.css
assets_build "$OB"
after=$(assets_digest site)
[ "$before" != "$after" ] || die "editing static/css/site.css left assets:site at $before"
assets_list site >"$a-edited.ndjson"
contains "edited asset: new content in the layer" "$a-edited.ndjson" \
  "{\"path\":\"srv/www/css/site.css\",\"type\":\"file\",\"mode\":\"0644\",\"uid\":0,\"gid\":0,\"size\":$(wc -c <assets/static/css/site.css),\"sha256\":\"$(sha256sum assets/static/css/site.css | cut -d' ' -f1)\""
printf 'export {};\n' >assets/static/js/new.js
rm assets/static/img/logo.svg
assets_build "$OB"
assets_list site >"$a-changed.ndjson"
contains "added asset is in the layer" "$a-changed.ndjson" '{"path":"srv/www/js/new.js"'
if grep -qF '"srv/www/img/logo.svg"' "$a-changed.ndjson"; then die "deleted asset still in the layer"; fi
pass "deleted asset left the layer"
