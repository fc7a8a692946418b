# image_test: each assertion kind passes on a matching image (:pass) and
# reports a readable mismatch on a wrong expectation (:fail), without a daemon.
bz "$OB" test //image_test:pass --test_output=errors > "$SCRATCH/image_test_pass.log" 2>&1 ||
  { cat "$SCRATCH/image_test_pass.log" >&2; die "//image_test:pass failed"; }
pass "image_test: every kind of expectation holds on a matching image"

if bz "$OB" test //image_test:fail > "$SCRATCH/image_test_fail.log" 2>&1; then
  die "//image_test:fail passed, but every expectation in it is wrong"
fi
report=bazel-testlogs/image_test/fail/test.log
for line in \
  "//image_test:fail (linux/amd64): the image does not match its expectations" \
  "/etc/greeting.txt: mode: want 0600, got 0644" \
  "/etc/greeting.txt: owner: want 0:0, got 1000:1000" \
  "/etc/greeting.txt: sha256: want 0000000000000000000000000000000000000000000000000000000000000000, got $(sha256sum < image_test/greeting.txt | cut -c1-64)" \
  "/etc/missing.conf: want it to exist, it does not" \
  "/etc/motd: target: want /etc/issue, got /etc/greeting.txt" \
  "/var/empty: type: want file, got dir" \
  "/etc/greeting.txt: want it absent, it is a file" \
  'entrypoint: want ["/bin/sh"], got ["/bin/app"]' \
  'cmd: want ["--debug"], got ["--serve"]' \
  'env MODE: want "dev", got "prod"' \
  'user: want "root", got "1000"' \
  'workdir: want "/", got "/srv"' \
  'exposed_ports: want ["9090/tcp"], got ["53/udp" "8080/tcp"]' \
  'label team: want "web", got "build"' \
  "size budgets:" \
  "layer 1"; do
  contains "image_test report: $line" "$report" "$line"
done
grep -q "OVER" "$report" || { cat "$report" >&2; die "the budget table marks nothing OVER"; }
pass "image_test: the budget table marks what is over"

# An index: every child is checked, and a failure names its platform.
if bz "$OB" test //image_test:index_fail > "$SCRATCH/image_test_index.log" 2>&1; then
  die "//image_test:index_fail passed, but its arm64 child has /etc/extra.txt"
fi
report=bazel-testlogs/image_test/index_fail/test.log
contains "image_test on an index: the amd64 child passes" "$report" "//image_test:index_fail (linux/amd64): every expectation holds"
contains "image_test on an index: the arm64 child fails, named" "$report" "//image_test:index_fail (linux/arm64): the image does not match its expectations"
contains "image_test on an index: what is wrong with it" "$report" "/etc/extra.txt: want it absent, it is a file"
