"""Module extension for bzlmod users (Bazel 7+): @strata_tool and image_pull repositories.

    strata = use_extension("@rules_strata//rules:extensions.bzl", "strata")
    strata.pull(
        name = "base",
        image = "registry.example.com/team/base",
        digest = "sha256:...",
    )
    use_repo(strata, "base")
"""

load("//rules/private:image_pull.bzl", "PULL_ATTRS", "image_pull")
load("//rules/private:pulls.bzl", "merge_pulls")
load("//rules/private:strata_tool.bzl", "STRATA_PLATFORMS", "strata_platform_repo", "strata_tool_repositories")

_pull = tag_class(
    doc = "A base image pinned by digest; the attributes are image_pull's.",
    attrs = dict(PULL_ATTRS, name = attr.string(mandatory = True, doc = "Repository name to use_repo, and of its target.")),
)

def _pull_attrs(p):
    """The image_pull attributes of a `pull` tag (or the struct made of one)."""
    return {k: getattr(p, k) for k in PULL_ATTRS}

def _strata_impl(module_ctx):
    strata_tool_repositories(name = "strata_tool")
    modules = []
    for mod in module_ctx.modules:
        modules.append(struct(
            name = mod.name,
            is_root = mod.is_root,
            pulls = [
                struct(name = p.name, dev = module_ctx.is_dev_dependency(p), **_pull_attrs(p))
                for p in mod.tags.pull
            ],
        ))
    merged = merge_pulls(modules)
    if merged.errors:
        fail("\n".join(merged.errors))
    for name, p in merged.pulls.items():
        image_pull(name = name, target_name = name, **_pull_attrs(p))

    # Tells `bazel mod tidy` which use_repo lines the root module needs.
    root_direct = list(merged.root_direct)
    for mod in module_ctx.modules:
        if mod.is_root and mod.name == "rules_strata":
            root_direct.append("strata_tool")
            root_direct.extend([strata_platform_repo("strata_tool", p) for p in STRATA_PLATFORMS.keys()])
    if hasattr(module_ctx, "extension_metadata"):
        return module_ctx.extension_metadata(
            root_module_direct_deps = root_direct,
            root_module_direct_dev_deps = merged.root_direct_dev,
        )
    return None

strata = module_extension(
    implementation = _strata_impl,
    doc = "Builds the strata tool and fetches image_pull bases.",
    tag_classes = {"pull": _pull},
)
