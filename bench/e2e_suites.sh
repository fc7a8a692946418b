#!/usr/bin/env bash
# Wall time of e2e suites, each run alone, with a cold tool per output base
# (STRATA_E2E_SHARED_TOOL=0, as before the shared tool) and with the test
# command's shared tool (built by an earlier suite). Interleaved A B A B per
# suite; prints every run and the medians.
#   bench/e2e_suites.sh ROUNDS SUITE...   e.g. bench/e2e_suites.sh 3 features readers
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
shift
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; $(date -u); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: bench/e2e_suites.sh $rounds $*"
# Build the shared tool first (what the first suite of a test command pays).
STRATA_E2E_SHARED_TOOL=1 bash -c 'source e2e/lib.sh; share_tool' >/dev/null 2>&1
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for s in "$@"; do
  a=() b=()
  for r in $(seq 1 "$rounds"); do
    for mode in 0 1; do
      start=$(date +%s.%N)
      STRATA_E2E_SHARED_TOOL=$mode bash "e2e/${s}_test.sh" >/tmp/bench-e2e-$s-$mode.log 2>&1 || { echo "$s (shared=$mode) FAILED: /tmp/bench-e2e-$s-$mode.log"; exit 1; }
      t=$(echo "$(date +%s.%N) - $start" | bc)
      printf '%s round %d %s: %.1f s\n' "$s" "$r" "$([ $mode = 0 ] && echo "own tool   " || echo "shared tool")" "$t"
      if [ $mode = 0 ]; then a+=("$t"); else b+=("$t"); fi
    done
  done
  ma=$(printf '%s\n' "${a[@]}" | median) mb=$(printf '%s\n' "${b[@]}" | median)
  printf '%s: median %.1f s own tool, %.1f s shared tool (ratio %.2f)\n' "$s" "$ma" "$mb" "$(echo "$mb / $ma" | bc -l)"
done
