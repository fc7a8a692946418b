# Sourced by e2e/real_inputs_test.sh (WS, OB, STRATA set; cwd = WS).
# The layer rule hands file lists to the action in a param file instead of
# flattening them in analysis (bench/graph_bench.sh measures the scale). The
# targets of runfiles symlinks are in no file depset; they must still reach
# the action as inputs, at the paths the runfiles tree gives them.

bz "$OB" build //scale:runfiles_links >"$SCRATCH/scale-build.log" 2>&1 || {
  cat "$SCRATCH/scale-build.log" >&2
  die "//scale:runfiles_links does not build"
}
pass "//scale:runfiles_links (a binary with runfiles symlinks and root symlinks) builds"
tar -tvzf bazel-bin/scale/runfiles_links.tar.gz | awk '{out = $1 " " $2 " " $3 " " $6; if ($7 == "->") out = out " -> " $8; print out}' >"$SCRATCH/scale-list.txt"
expect_eq "the runfiles tree keeps its symlinks' targets, modes and the executable's link" "$(cat "$SCRATCH/scale-list.txt")" "$(cat <<'LIST'
drwxr-xr-x 0/0 0 app/
-rwxr-xr-x 0/0 52 app/linked
drwxr-xr-x 0/0 0 app/linked.runfiles/
drwxr-xr-x 0/0 0 app/linked.runfiles/real_inputs/
drwxr-xr-x 0/0 0 app/linked.runfiles/real_inputs/alias/
-rw-r--r-- 0/0 37 app/linked.runfiles/real_inputs/alias/a.txt
drwxr-xr-x 0/0 0 app/linked.runfiles/real_inputs/scale/
lrwxrwxrwx 0/0 0 app/linked.runfiles/real_inputs/scale/linked -> /app/linked
drwxr-xr-x 0/0 0 app/linked.runfiles/rootlink/
-rw-r--r-- 0/0 34 app/linked.runfiles/rootlink/b.txt
LIST
)"
mkdir -p "$SCRATCH/scale-x" && tar -xzf bazel-bin/scale/runfiles_links.tar.gz -C "$SCRATCH/scale-x"
expect_eq "a symlink's target file has its content" "$(cat "$SCRATCH/scale-x/app/linked.runfiles/real_inputs/alias/a.txt")" "$(cat scale/a.txt)"
expect_eq "a root symlink's target file has its content" "$(cat "$SCRATCH/scale-x/app/linked.runfiles/rootlink/b.txt")" "$(cat scale/b.txt)"
