#!/usr/bin/env bash
# Writes user.bazelrc (imported by .bazelrc) so --config=cache talks to the
# remote cache named in the environment. Secrets stay out of committed files:
# CI injects STRATA_REMOTE_HEADERS as a secret variable.
#   STRATA_REMOTE_CACHE (required), STRATA_REMOTE_HEADERS, STRATA_REMOTE_TLS_CA,
#   STRATA_REMOTE_INSTANCE
set -euo pipefail
cd "${BUILD_WORKSPACE_DIRECTORY:-$(pwd)}"
: "${STRATA_REMOTE_CACHE:?set STRATA_REMOTE_CACHE, e.g. grpc://cache.internal:9092}"
{
  echo "# Written by scripts/remote_cache_rc.sh; not committed."
  echo "build:cache --remote_cache=$STRATA_REMOTE_CACHE"
  if [ -n "${STRATA_REMOTE_HEADERS:-}" ]; then
    tr ',' '\n' <<<"$STRATA_REMOTE_HEADERS" | while IFS= read -r h; do
      [ -n "$h" ] && echo "build:cache --remote_header=$h"
    done
  fi
  [ -n "${STRATA_REMOTE_TLS_CA:-}" ] && echo "build:cache --tls_certificate=$STRATA_REMOTE_TLS_CA"
  [ -n "${STRATA_REMOTE_INSTANCE:-}" ] && echo "build:cache --remote_instance_name=$STRATA_REMOTE_INSTANCE"
  true
} > user.bazelrc
chmod 600 user.bazelrc
