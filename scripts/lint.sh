#!/usr/bin/env bash
# Lint: gofmt, go vet, buildifier (format + lint) and the strata tool's
# tracked-sources list. Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_go_tools

status=0
bad=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$bad" ]; then echo "FAIL gofmt: $bad (fix: gofmt -w)"; status=1; else echo "ok: gofmt"; fi
# The soak test is behind a build tag (scripts/test.sh runs it once): vet it too.
go vet ./... && go vet -tags soak ./go/push && echo "ok: go vet" || status=1
if go mod tidy -diff >/dev/null 2>&1; then echo "ok: go.mod tidy"; else echo "FAIL go.mod/go.sum not tidy (fix: go mod tidy)"; status=1; fi

starlark=$(git ls-files '*.bzl' '*.bazel' '*/BUILD' 'BUILD' '*WORKSPACE' 'MODULE.bazel')
# The offline forwarders must call native rules, which the lint forbids;
# they are format-checked only.
lintable=$(echo "$starlark" | grep -v '^third_party/offline/' || true)
if "$BIN/buildifier" -mode=check $starlark && "$BIN/buildifier" -lint=warn -mode=check $lintable; then
  echo "ok: buildifier"
else
  echo "FAIL buildifier (fix: $BIN/buildifier -lint=fix <files>)"; status=1
fi
scripts/update-tool-srcs.sh --check || status=1
scripts/update-go-toolchain.sh --check || status=1
exit $status
