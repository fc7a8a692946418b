"""The `image` macro: the image plus its `.push`, `.probe`, `.load` and `.inspect` targets."""

load(":image.bzl", "image_rule")
load(":inspect.bzl", "image_inspect")
load(":load.bzl", "image_load")
load(":push.bzl", "image_probe", "image_push")

# Attributes every rule has that the helpers must share with the image (as
# rules_oci does): a testonly image's helpers must be testonly or they cannot
# depend on it; an image incompatible with the target platform makes its
# helpers incompatible by themselves, so they are skipped, not failed.
_COMMON_ATTRS = [
    "compatible_with",
    "features",
    "restricted_to",
    "target_compatible_with",
    "testonly",
]

def helper_targets(name, kwargs, visibility, tags, rules, push_attrs, **main):
    """Declares a macro's helper targets: `name.push`, `name.probe`, `name.load`, `name.inspect`.

    Args:
      name: the main target's name.
      kwargs: the main target's other attributes; those of _COMMON_ATTRS go
        to every helper.
      visibility: the main target's visibility, for all its targets.
      tags: the main target's tags; the helpers get them too, plus `manual`.
      rules: {suffix: rule} of each helper.
      push_attrs: attributes of `.push` and `.probe` only.
      **main: the helpers' attribute naming the main target.
    """
    common = {k: kwargs[k] for k in _COMMON_ATTRS if k in kwargs}
    common["visibility"] = visibility

    # `manual`: `bazel build //...` builds the image, not every way to run it.
    common["tags"] = (tags or []) + ([] if "manual" in (tags or []) else ["manual"])
    common.update(main)
    for suffix, rule in rules.items():
        attrs = dict(common, **push_attrs) if suffix in (".push", ".probe") else common
        rule(name = name + suffix, **attrs)

def image(
        name,
        push_repositories = [],
        push_tags = [],
        stamp = -1,
        visibility = None,
        tags = None,
        **kwargs):
    """An `image_rule` named `name`, plus `name.push`, `name.probe`, `name.load` and `name.inspect`.

    Args:
      name: target name; outputs are `name.digest`, `name.manifest.json`, ...
      push_repositories: repositories `bazel run :name.push` pushes to (and `name.probe` checks).
      push_tags: tags (or `{VAR}` templates) `name.push` sets.
      stamp: for templates in tags, labels, annotations and `created_from`:
        1, 0, or -1 to follow `--stamp`; set on the image and its helpers.
      visibility: of all the targets.
      tags: Bazel tags of the image target; the helpers get them too, plus `manual`.
      **kwargs: the attributes of `image_rule`; `testonly`, `features`,
        `target_compatible_with`, `compatible_with` and `restricted_to` also
        go to the helpers.
    """
    image_rule(name = name, visibility = visibility, tags = tags, stamp = stamp, **kwargs)
    helper_targets(
        name,
        kwargs,
        visibility,
        tags,
        {".inspect": image_inspect, ".load": image_load, ".probe": image_probe, ".push": image_push},
        dict(repositories = push_repositories, remote_tags = push_tags, stamp = stamp),
        image = ":" + name,
    )
