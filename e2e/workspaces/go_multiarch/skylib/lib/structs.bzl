"""Stand-in for bazel_skylib's structs (to_dict, which rules_go uses)."""

def _to_dict(s):
    return {key: getattr(s, key) for key in dir(s) if key != "to_json" and key != "to_proto"}

structs = struct(to_dict = _to_dict)
