"""Stand-in for bazel_skylib's collections (uniq only, which rules_go uses)."""

def _uniq(iterable):
    return {e: None for e in iterable}.keys()

collections = struct(uniq = _uniq)
