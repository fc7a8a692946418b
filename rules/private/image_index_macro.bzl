"""The `image_index` macro: the index plus its `.push`, `.probe`, `.inspect` and `.load` targets."""

load(":image_index.bzl", "image_index_rule")
load(":image_macro.bzl", "helper_targets")
load(":inspect.bzl", "image_index_inspect")
load(":load.bzl", "image_index_load")
load(":push.bzl", "image_index_probe", "image_index_push")

def image_index(
        name,
        push_repositories = [],
        push_tags = [],
        push_platform_tags = False,
        stamp = -1,
        visibility = None,
        tags = None,
        **kwargs):
    """An `image_index_rule` named `name`, plus `name.push`, `name.probe`, `name.inspect` and `name.load`.

    Args:
      name: target name; outputs are `name.digest`, `name.index.json`.
      push_repositories: repositories `bazel run :name.push` pushes to (and `name.probe` checks).
      push_tags: tags (or `{VAR}` templates) `name.push` sets on the index.
      push_platform_tags: also tag each child `{tag}-{arch}` (`{tag}-{arch}{variant}` when it has a variant), for clients that do not read indexes yet.
      stamp: for tag templates: 1, 0, or -1 to follow `--stamp`.
      visibility: of all the targets.
      tags: Bazel tags of the index target; the helpers get them too, plus `manual`.
      **kwargs: the attributes of `image_index_rule`; `testonly`, `features`,
        `target_compatible_with`, `compatible_with` and `restricted_to` also
        go to the helpers.
    """
    image_index_rule(name = name, visibility = visibility, tags = tags, **kwargs)
    helper_targets(
        name,
        kwargs,
        visibility,
        tags,
        {".inspect": image_index_inspect, ".load": image_index_load, ".probe": image_index_probe, ".push": image_index_push},
        dict(repositories = push_repositories, remote_tags = push_tags, platform_tags = push_platform_tags, stamp = stamp),
        index = ":" + name,
    )
