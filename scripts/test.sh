#!/usr/bin/env bash
# Every test: lint, Go unit tests (against real in-process parts), and the
# end-to-end suites in e2e/ that run real Bazel 4.2.3 and real image readers.
# Installs what is missing first. Prints "tests: N passed, N failed" last.
#   scripts/test.sh            everything
#   scripts/test.sh e2e/x.sh   only the named e2e suites (with lint and the Go tests)
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

# report NAME RC SECONDS LOG: counts one finished suite.
report() {
  local name=$1 rc=$2 secs=$3 out=$4 line
  if [ "$rc" -eq 0 ]; then
    while IFS= read -r line; do skipped+=("$name: $line"); done < <(grep '^SKIP' "$out")
    if grep -q '^SKIP:' "$out"; then
      skipped_suites=$((skipped_suites + 1))
      echo "-- skipped: $name ($secs s)"
    else
      passed=$((passed + 1))
      echo "-- ok: $name ($secs s)"
    fi
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "-- FAILED: $name ($secs s)"
  fi
}

# Suites run STRATA_TEST_JOBS at a time (default 2). Each e2e suite has its
# own scratch directory, output bases and registries on free ports, and what
# they share is locked (the shared strata tool, the example registry and its
# seed, the per-machine tool builds), so two at once prove what one at a time
# does. Most of a suite's wall time is one Bazel server's start-up, analysis
# and waiting, so two lanes keep both cores busy. A suite's output is
# printed whole when it ends; STRATA_TEST_JOBS=1 streams it as it runs.
JOBS=${STRATA_TEST_JOBS:-2}
logs=$(mktemp -d)
trap '$registry_was_up || stop_registry "$ROOT/.cache/registry"; rm -rf "$logs"' EXIT
names=()
cmds=()
# queue NAME CMD...: a suite to run (in queue order, as lanes free up).
queue() {
  names+=("$1")
  shift
  cmds+=("$(printf '%q ' "$@")")
}
# run_queue runs every queued suite, JOBS at a time, and reports each as it ends.
run_queue() {
  local i=0 total=${#names[@]} running=() pid j n still start
  if [ "$JOBS" -le 1 ]; then
    for ((i = 0; i < total; i++)); do
      log "${names[i]}"
      start=$SECONDS
      eval "${cmds[i]}" 2>&1 | tee "$logs/$i.log"
      report "${names[i]}" "${PIPESTATUS[0]}" $((SECONDS - start)) "$logs/$i.log"
    done
    return
  fi
  while [ $i -lt $total ] || [ ${#running[@]} -gt 0 ]; do
    while [ $i -lt $total ] && [ ${#running[@]} -lt "$JOBS" ]; do
      (
        start=$SECONDS
        eval "${cmds[i]}" >"$logs/$i.log" 2>&1
        rc=$?
        echo "$rc $((SECONDS - start))" >"$logs/$i.done"
      ) &
      running+=("$i:$!")
      i=$((i + 1))
    done
    wait -n 2>/dev/null || true
    still=()
    for j in "${running[@]}"; do
      n=${j%%:*} pid=${j#*:}
      # A lane that died before writing .done (killed) counts as failed.
      if [ -f "$logs/$n.done" ] || ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null || true
        [ -f "$logs/$n.done" ] || echo "99 ?" >"$logs/$n.done"
        log "${names[n]}"
        cat "$logs/$n.log"
        report "${names[n]}" $(cat "$logs/$n.done") "$logs/$n.log"
      else
        still+=("$j")
      fi
    done
    running=("${still[@]}")
  done
}

# The push fault soak (50 pushes through random faults, ~15 s) is behind a
# build tag so a plain go test stays fast; it runs here, once.
# Every reader of untrusted bytes has a fuzz target (tars, JSON, layer/image/push
# specs, pulled manifests and configs); run each briefly. go test -fuzz takes
# one target per run. A failing input lands in the package's
# testdata/fuzz/<Target>/, where plain go test then replays it.
# Budgets are execution counts (-fuzztime Nx), about what 20/10/10/8/8/5 s
# gave on an idle 2-core machine: a busy machine takes longer but tests as
# much, and a count has no deadline, so Go 1.26's fuzz coordinator cannot
# report its "context deadline exceeded" race (golang/go#75804, fixed in Go
# 1.27) as a failure when a lane is starved.
go_fuzz() {
  local t name pkg n
  for t in FuzzTarInput:layer:1000 FuzzLayerSpec:layer:11500 FuzzPull:pull:2400 FuzzImageSpec:image:2500 FuzzPushSpec:blobimage:1000 FuzzRead:spec:90000; do
    IFS=: read -r name pkg n <<<"$t"
    go test -run='^$' -fuzz="^$name\$" -fuzztime="${n}x" -fuzzminimizetime=5s "./go/$pkg" || return 1
  done
}
if [ $# -gt 0 ]; then
  e2e=("$@")
else
  # The longest suites first, so the two lanes end together; the first one
  # builds the shared strata tool while the other lane runs the Go suites.
  e2e=()
  for t in real_inputs go_multiarch remote_execution reproducibility remote_cache tool_no_go; do
    [ -f "e2e/${t}_test.sh" ] && e2e+=("e2e/${t}_test.sh")
  done
  for t in e2e/*_test.sh; do
    [[ " ${e2e[*]} " == *" $t "* ]] || e2e+=("$t")
  done
fi
queue "${e2e[0]}" bash "${e2e[0]}"
queue lint scripts/lint.sh
# -race: slowing every goroutine shows orderings a quiet machine hides (it
# found push's replayed blob commit and a corrupt body's error lost to the
# registry's answer, neither a data race); 3.1x plain go test, +77 s of one
# lane (bench/README.md, "go test -race").
queue "go test" go test -race -count=1 ./...
queue "go fuzz" go_fuzz
queue "go push soak" go test -count=1 -tags soak -run '^TestFiftyPushesThroughFaults$' ./go/push
for t in "${e2e[@]:1}"; do
  queue "$t" bash "$t"
done
run_queue

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
