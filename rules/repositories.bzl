"""WORKSPACE setup for rules_strata (Bazel 4.2+ without bzlmod).

    load("@rules_strata//rules:repositories.bzl", "rules_strata_dependencies")
    rules_strata_dependencies()
"""

load("//rules/private:strata_tool.bzl", "strata_tool")

def rules_strata_dependencies():
    """Declares the repositories rules_strata needs: the strata tool."""
    if not native.existing_rule("strata_tool"):
        strata_tool(name = "strata_tool")
