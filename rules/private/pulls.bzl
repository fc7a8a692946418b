"""Merging the `pull` tags of every module into one set of repositories.

Pure functions over plain values, so rules/tests can check them on any Bazel
(module extensions themselves need Bazel 6+).
"""

def _same_pull(a, b):
    return (a.image, a.digest, a.platform, getattr(a, "platforms", []), a.download_layers) == (b.image, b.digest, b.platform, getattr(b, "platforms", []), b.download_layers)

def merge_pulls(modules):
    """Merges the `pull` tags of all modules into one repository per name.

    The root module's pulls come first and win: a dependency's pull of the
    same name is then ignored (the root chooses). Identical pulls from several
    dependencies are fetched once; two dependencies that disagree are an error
    naming both, because either choice would silently break one of them.

    Args:
      modules: structs with `name`, `is_root` and `pulls`, a list of structs
        with the `pull` tag's attributes and `dev` (declared with
        `dev_dependency = True`).

    Returns:
      struct(pulls = {name: tag}, root_direct = [names], root_direct_dev =
      [names], errors = [messages]).
    """
    pulls = {}
    owner = {}
    errors = []
    root_direct = []
    root_direct_dev = []
    ordered = [m for m in modules if m.is_root] + [m for m in modules if not m.is_root]
    for mod in ordered:
        for tag in mod.pulls:
            if tag.name not in pulls:
                pulls[tag.name] = tag
                owner[tag.name] = mod
                if mod.is_root:
                    (root_direct_dev if tag.dev else root_direct).append(tag.name)
                continue
            first = owner[tag.name]
            if first == mod:
                errors.append("rules_strata: module %s declares strata.pull(name = %r) twice (fix: remove one of them)" % (mod.name, tag.name))
            elif first.is_root or _same_pull(pulls[tag.name], tag):
                continue
            else:
                errors.append(
                    ("rules_strata: modules %s and %s both declare strata.pull(name = %r), as %s@%s and %s@%s " +
                     "(fix: rename one of them, or declare the pull in the root module to choose)") % (
                        first.name,
                        mod.name,
                        tag.name,
                        pulls[tag.name].image,
                        pulls[tag.name].digest,
                        tag.image,
                        tag.digest,
                    ),
                )
    return struct(pulls = pulls, root_direct = root_direct, root_direct_dev = root_direct_dev, errors = errors)
