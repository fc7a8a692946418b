# Helpers for e2e tests: each test copies the repository into a scratch
# directory (as a clean clone would have it) and runs real Bazel there, with
# its own output base, so tests never touch the developer's bazel-* trees.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
ensure_apt_packages

SCRATCH=${STRATA_E2E_TMP:-/tmp/strata-e2e}/$(basename "$0" .sh)
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
# Output bases this test used, one per line: a file, not a variable, so that
# bz called in a subshell (`( ... )`, `$( ... )`) is recorded too.
OUTPUT_BASES_FILE=$SCRATCH/.output_bases
: > "$OUTPUT_BASES_FILE"

# bz OUTPUT_BASE ARGS... runs bazel in the current directory with that output base.
bz() {
  local ob=$1
  shift
  echo "$ob" >> "$OUTPUT_BASES_FILE"
  bazel --output_base="$ob" "$@"
}

# Stop the Bazel servers this test started (each holds ~150 MB).
cleanup_servers() {
  local ob
  sort -u "$OUTPUT_BASES_FILE" 2>/dev/null | while read -r ob; do
    bazel --output_base="$ob" shutdown >/dev/null 2>&1 || true
  done
}
trap cleanup_servers EXIT

pass() { printf 'PASS: %s\n' "$*"; }

# expect_eq WHAT A B
expect_eq() {
  [ "$2" = "$3" ] || die "$1: '$2' != '$3'"
  pass "$1: $2"
}

# check WHAT CMD... runs CMD and fails the test unless it succeeds.
check() {
  local what=$1
  shift
  "$@" || die "$what"
  pass "$what"
}

# contains WHAT FILE PATTERN fails unless FILE has a line matching the
# fixed string PATTERN.
contains() {
  grep -qF -- "$3" "$2" || { cat "$2" >&2; die "$1: no line with: $3"; }
  pass "$1"
}
