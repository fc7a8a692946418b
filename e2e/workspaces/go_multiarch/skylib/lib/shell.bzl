"""Stand-in for bazel_skylib's shell (quote only, which rules_go uses)."""

def _quote(s):
    return "'" + s.replace("'", "'\\''") + "'"

shell = struct(quote = _quote)
