"""Label strings: stable ones for image bytes, exact ones for Bazel itself."""

def apparent_repo_name(name):
    """The name a user writes for a repository, from its canonical name.

    Canonical names differ by Bazel version and mode: WORKSPACE `base`,
    Bazel 7.0 `rules_strata~0.0.0` and `_main~strata~base`, 7.1+
    `rules_strata~` and `rules_strata~~strata~base`, 8+ `rules_strata+` and
    `rules_strata++strata+base` or `+strata+base`. Module repositories map to
    the module name, extension repositories to the name the extension gave
    them, WORKSPACE names to themselves.

    Args:
      name: a canonical repository name (`Label.repo_name`).

    Returns:
      The apparent name.
    """
    for sep in ["+", "~"]:
        if sep in name:
            parts = name.split(sep)
            if len(parts) <= 2:
                return parts[0]
            return parts[-1]
    return name

def _canonical_repo(label):
    # Label.repo_name (7.1+) replaces the deprecated Label.workspace_name.
    if hasattr(label, "repo_name"):
        return label.repo_name
    return label.workspace_name

def label_str(label):
    """`//pkg:name` or `@repo//pkg:name`, the same on every Bazel version.

    For what ends up in image bytes (history) and messages: str(Label) and
    Label.workspace_name changed across versions (`@@//pkg:name` since Bazel
    7, canonical repository names that changed from `~` to `+` in 8), and
    digests must not depend on the Bazel version.

    Args:
      label: a Label.

    Returns:
      The label string, with the repository's apparent name.
    """
    repo = _canonical_repo(label)
    if repo:
        return "@%s//%s:%s" % (apparent_repo_name(repo), label.package, label.name)
    return "//%s:%s" % (label.package, label.name)

def label_for_bazel(label):
    """The label as this Bazel prints it, to hand back to `bazel build`.

    `@@canonical//pkg:name` under bzlmod resolves from any repository, where
    an apparent name might not be visible from the main repository.
    """
    return str(label)
