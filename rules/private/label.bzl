"""Stable label strings for outputs that end up in image bytes."""

def label_str(label):
    """`//pkg:name` or `@repo//pkg:name`, the same on every Bazel version.

    str(Label) changed across versions (`@@//pkg:name` since Bazel 7); image
    history records labels, so digests must not depend on that.
    """
    if label.workspace_name:
        return "@%s//%s:%s" % (label.workspace_name, label.package, label.name)
    return "//%s:%s" % (label.package, label.name)
