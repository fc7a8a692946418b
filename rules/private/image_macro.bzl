"""The `image` macro: the image plus its `.push`, `.probe`, `.load` and `.inspect` targets."""

load(":image.bzl", "image_rule")
load(":inspect.bzl", "image_inspect")
load(":load.bzl", "image_load")
load(":push.bzl", "image_probe", "image_push")

def image(
        name,
        push_repositories = [],
        push_tags = [],
        stamp = -1,
        visibility = None,
        tags = None,
        **kwargs):
    """An `image_rule` named `name`, plus `name.push`, `name.probe` and `name.load`.

    Args:
      name: target name; outputs are `name.digest`, `name.manifest.json`, ...
      push_repositories: repositories `bazel run :name.push` pushes to (and `name.probe` checks).
      push_tags: tags (or `{VAR}` templates) `name.push` sets.
      stamp: for tag templates: 1, 0, or -1 to follow `--stamp`.
      visibility: of all three targets.
      tags: Bazel tags of the image target (the helpers are always `manual`).
      **kwargs: the attributes of `image_rule`.
    """
    image_rule(name = name, visibility = visibility, tags = tags, **kwargs)
    for rule, suffix in [(image_push, ".push"), (image_probe, ".probe")]:
        rule(
            name = name + suffix,
            image = ":" + name,
            repositories = push_repositories,
            remote_tags = push_tags,
            stamp = stamp,
            tags = ["manual"],
            visibility = visibility,
        )
    image_load(
        name = name + ".load",
        image = ":" + name,
        tags = ["manual"],
        visibility = visibility,
    )
    image_inspect(
        name = name + ".inspect",
        image = ":" + name,
        tags = ["manual"],
        visibility = visibility,
    )
