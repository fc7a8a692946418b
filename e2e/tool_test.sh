#!/usr/bin/env bash
# The strata tool is built hermetically by a repository rule: every Go file it
# compiles is tracked (editing one rebuilds the tool; a file missing from the
# list fails the check), and the pinned toolchain is the one used.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

copy_workspace "$SCRATCH/ws"
cd "$SCRATCH/ws"
scripts/update-tool-srcs.sh --check

bz "$SCRATCH/ob" build //examples/hello:image
tool=$(strata_path "$SCRATCH/ob")
want=$(sed -n 's/^toolchain //p' go.mod)
expect_eq "toolchain the tool was built with" "$(go version "$tool" | awk '{print $2}')" "$want"
go version -m "$tool" > "$SCRATCH/buildinfo.txt"
contains "built with CGO_ENABLED=0" "$SCRATCH/buildinfo.txt" "CGO_ENABLED=0"
contains "built with -trimpath" "$SCRATCH/buildinfo.txt" "-trimpath=true"
# -ldflags=-s -w (go version -m omits ldflags under -trimpath): no symbol
# table, no DWARF.
readelf -S "$tool" > "$SCRATCH/sections.txt"
if grep -qE '\.(symtab|debug_info)' "$SCRATCH/sections.txt"; then die "the tool has a symbol table or DWARF: it is not built with -ldflags=-s -w"; fi
pass "built with -ldflags=-s -w (no .symtab, no .debug_info)"
before=$(sha256sum < "$tool")

# Editing a tracked Go file re-runs the repository rule and the actions.
sed -i 's/build one layer blob and its descriptor from a layer spec/build one layer (edited by tool_test)/' tools/strata/main.go
bz "$SCRATCH/ob" build //examples/hello:image --execution_log_json_file="$SCRATCH/exec.json"
after=$(sha256sum < "$tool")
[ "$before" != "$after" ] || die "editing tools/strata/main.go did not rebuild the strata tool"
pass "editing tools/strata/main.go rebuilt the tool"
"$tool" > "$SCRATCH/usage.txt" 2>&1 || true
contains "the rebuilt tool has the edit" "$SCRATCH/usage.txt" "edited by tool_test"
expect_eq "layer actions re-run with the new tool" "$(grep -c '"mnemonic": "StrataLayer"' "$SCRATCH/exec.json")" 3

# A new Go file that the tool compiles but the list lacks fails the check.
cat > go/layer/untracked.go <<'GO'
package layer

const untracked = 1
GO
if scripts/update-tool-srcs.sh --check >"$SCRATCH/check.txt" 2>&1; then
  die "the tracked-sources check passed with an untracked Go file"
fi
contains "check names the untracked file" "$SCRATCH/check.txt" "go/layer/untracked.go"
