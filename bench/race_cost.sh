#!/usr/bin/env bash
# What go test -race costs over plain go test, for the packages named
# (default ./go/push/). Both builds are warmed first (the first -race build
# compiles the standard library again), then timed interleaved A B A B ...
# Prints every run and the medians.
#   bench/race_cost.sh ROUNDS [PACKAGES...]   e.g. bench/race_cost.sh 3 ./...
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
shift
pkgs=("${@:-./go/push/}")
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; $(date -u); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: bench/race_cost.sh $rounds ${pkgs[*]}"
go test -count=1 -run '^$' "${pkgs[@]}" >/dev/null && go test -race -count=1 -run '^$' "${pkgs[@]}" >/dev/null || exit 1
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
a=() b=()
for r in $(seq 1 "$rounds"); do
  for race in "" -race; do
    start=$(date +%s.%N)
    go test $race -count=1 "${pkgs[@]}" >/tmp/bench-race$race.log 2>&1 || { echo "go test $race FAILED: /tmp/bench-race$race.log"; exit 1; }
    t=$(echo "$(date +%s.%N) - $start" | bc)
    printf 'round %d %-5s: %.1f s (load %s)\n' "$r" "${race:-plain}" "$t" "$(cut -d' ' -f1 /proc/loadavg)"
    if [ -z "$race" ]; then a+=("$t"); else b+=("$t"); fi
  done
done
ma=$(printf '%s\n' "${a[@]}" | median) mb=$(printf '%s\n' "${b[@]}" | median)
printf 'median %.1f s plain, %.1f s -race (ratio %.2f)\n' "$ma" "$mb" "$(echo "$mb / $ma" | bc -l)"
