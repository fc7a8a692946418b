"""Prebuilt strata binaries of a release: platform -> {"urls", "sha256"}.

Empty in a source checkout: the tool is then built from source. A release
archive carries the version that scripts/release.sh writes here.
"""

STRATA_PREBUILT = {}
