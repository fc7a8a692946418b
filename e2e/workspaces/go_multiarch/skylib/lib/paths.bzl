"""Stand-in for bazel_skylib's paths (the functions rules_go v0.34 uses)."""

def _basename(p):
    return p.rpartition("/")[-1]

def _dirname(p):
    prefix, sep, _ = p.rpartition("/")
    if not prefix:
        return sep
    return prefix.rstrip("/")

def _is_absolute(path):
    return path.startswith("/")

def _join(path, *others):
    result = path
    for p in others:
        if _is_absolute(p):
            result = p
        elif not result or result.endswith("/"):
            result += p
        else:
            result += "/" + p
    return result

def _relativize(path, start):
    segments = [s for s in path.split("/") if s and s != "."]
    start_segments = [s for s in start.split("/") if s and s != "."]
    if segments[:len(start_segments)] != start_segments:
        fail("Path '%s' is not beneath '%s'" % (path, start))
    return "/".join(segments[len(start_segments):])

paths = struct(
    basename = _basename,
    dirname = _dirname,
    is_absolute = _is_absolute,
    join = _join,
    relativize = _relativize,
)
