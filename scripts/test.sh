#!/usr/bin/env bash
# Every test: lint, Go unit tests (against real in-process parts), and the
# end-to-end suites in e2e/ that run real Bazel 4.2.3 and real image readers.
# Installs what is missing first. Prints "tests: N passed, N failed" last.
#   scripts/test.sh            everything
#   scripts/test.sh e2e/x.sh   only the named e2e suites (after lint and go test)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_apt_packages
ensure_go_tools
ensure_bazel_remote
export STRATA_BAZEL_REMOTE=$BIN/bazel-remote-$BAZEL_REMOTE_VERSION

# The example registry (EXAMPLE_REGISTRY) is started by the tests that need
# it; stop it at the end unless it was already running (e.g. from main.sh).
registry_was_up=false
registry_up "$EXAMPLE_REGISTRY" && registry_was_up=true
trap '$registry_was_up || stop_registry "$ROOT/.cache/registry"' EXIT

# started_here prints "PID command line" for every process whose arguments
# name the e2e scratch directory or this checkout (Bazel servers by their
# --output_base/--workspace_directory, registries by their config, caches
# by their --dir), except this script and its children.
scratch=${STRATA_E2E_TMP:-/tmp/strata-e2e}
started_here() {
  local pid args p
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    args=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
    case " $args" in
      *[\ =]"$scratch"/* | *[\ =]"$ROOT"/* | *[\ =]"$ROOT"\ *) ;;
      *) continue ;;
    esac
    p=$pid
    while [ "$p" -gt 1 ] && [ "$p" != $$ ]; do
      p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null) || break
      [ -n "$p" ] || break
    done
    [ "$p" = $$ ] || echo "$pid $args"
  done
}
# What ran before the test command (a developer's Bazel server in the
# checkout, an example registry from main.sh) is not the tests'.
before=$(started_here | cut -d' ' -f1)
# The e2e suites share one strata tool per test command (e2e/lib.sh): build it afresh.
rm -rf "$scratch/.shared"

passed=0
failed=0
failures=()
# A suite that cannot run here (e.g. remote_execution_test.sh without the
# Buildbarn sources) prints "SKIP: why" and exits 0; it is reported as
# skipped, not passed. "SKIP (part ...)" lines are listed too.
skipped=()
skipped_suites=0
suite() {
  local name=$1
  shift
  log "$name"
  local start=$SECONDS out
  out=$(mktemp)
  if "$@" | tee "$out"; then
    local line
    while IFS= read -r line; do skipped+=("$name: $line"); done < <(grep '^SKIP' "$out")
    if grep -q '^SKIP:' "$out"; then
      skipped_suites=$((skipped_suites + 1))
      echo "-- skipped: $name ($((SECONDS - start)) s)"
    else
      passed=$((passed + 1))
      echo "-- ok: $name ($((SECONDS - start)) s)"
    fi
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "-- FAILED: $name ($((SECONDS - start)) s)"
  fi
  rm -f "$out"
}

suite lint scripts/lint.sh
suite "go test" go test -count=1 ./...
# The push fault soak (50 pushes through random faults, ~15 s) is behind a
# build tag so a plain go test stays fast; it runs here, once.
suite "go push soak" go test -count=1 -tags soak -run '^TestFiftyPushesThroughFaults$' ./go/push
# Every reader of untrusted bytes has a fuzz target (tars, JSON, layer/image/push
# specs, pulled manifests and configs); run each briefly. go test -fuzz takes
# one target per run. A failing input lands in the package's
# testdata/fuzz/<Target>/, where plain go test then replays it.
go_fuzz() {
  local t name pkg secs
  for t in FuzzTarInput:layer:20 FuzzLayerSpec:layer:10 FuzzPull:pull:10 FuzzImageSpec:image:8 FuzzPushSpec:blobimage:8 FuzzRead:spec:5; do
    IFS=: read -r name pkg secs <<<"$t"
    go test -run='^$' -fuzz="^$name\$" -fuzztime="${secs}s" -fuzzminimizetime=5s "./go/$pkg" || return 1
  done
}
suite "go fuzz" go_fuzz
if [ $# -gt 0 ]; then e2e=("$@"); else e2e=(e2e/*_test.sh); fi
for t in "${e2e[@]}"; do
  suite "$t" bash "$t"
done

# Every test stops what it started: no Bazel server, registry or cache may
# outlive the suites (each Bazel server holds ~150 MB). The example registry
# is stopped first unless it was running before.
$registry_was_up || stop_registry "$ROOT/.cache/registry"
sleep 1
leftover=$(started_here | while read -r pid args; do
  grep -qx -- "$pid" <<<"$before" || echo "$pid $args"
done)
if [ -n "$leftover" ]; then
  echo "left running by the tests:"
  echo "$leftover"
  failed=$((failed + 1))
  failures+=("processes left running")
else
  passed=$((passed + 1))
  echo "-- ok: no Bazel server, registry or cache left running under $scratch or $ROOT"
fi

echo
[ $failed -eq 0 ] || printf 'failed suite: %s\n' "${failures[@]}"
[ ${#skipped[@]} -eq 0 ] || printf 'skipped: %s\n' "${skipped[@]}"
echo "tests: $passed passed, $failed failed, $skipped_suites skipped"
[ $failed -eq 0 ]
