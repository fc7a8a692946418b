"""Module extension for bzlmod users (Bazel 7+): provides @strata_tool."""

load("//rules/private:strata_tool.bzl", "strata_tool")

def _strata_impl(_module_ctx):
    strata_tool(name = "strata_tool")

strata = module_extension(
    implementation = _strata_impl,
    doc = "Builds the strata tool from this module's Go sources.",
)
