"""Module extension for bzlmod users (Bazel 7+): @strata_tool and image_pull repositories.

    strata = use_extension("@rules_strata//rules:extensions.bzl", "strata")
    strata.pull(
        name = "base",
        image = "registry.example.com/team/base",
        digest = "sha256:...",
    )
    use_repo(strata, "base")
"""

load("//rules/private:image_pull.bzl", "image_pull")
load("//rules/private:strata_tool.bzl", "strata_tool")

_pull = tag_class(
    doc = "A base image pinned by digest; see image_pull.",
    attrs = {
        "digest": attr.string(doc = "sha256:... of the manifest or index."),
        "download_layers": attr.bool(default = False, doc = "Also download every layer blob."),
        "image": attr.string(mandatory = True, doc = "Repository, e.g. registry.example.com/team/base."),
        "name": attr.string(mandatory = True, doc = "Repository name to use_repo."),
        "platform": attr.string(default = "linux/amd64", doc = "os/arch[/variant] to pick from an index."),
        "tag": attr.string(doc = "Documentation only."),
    },
)

def _strata_impl(module_ctx):
    strata_tool(name = "strata_tool")
    for mod in module_ctx.modules:
        for p in mod.tags.pull:
            image_pull(
                name = p.name,
                image = p.image,
                digest = p.digest,
                tag = p.tag,
                platform = p.platform,
                download_layers = p.download_layers,
            )

strata = module_extension(
    implementation = _strata_impl,
    doc = "Builds the strata tool and fetches image_pull bases.",
    tag_classes = {"pull": _pull},
)
