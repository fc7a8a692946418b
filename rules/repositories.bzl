"""WORKSPACE setup for rules_strata (Bazel 4.2+ without bzlmod).

    load("@rules_strata//rules:repositories.bzl", "rules_strata_dependencies")
    rules_strata_dependencies()

On an offline Bazel 4 (Debian's bazel-bootstrap) also call
rules_strata_bazel4_offline_dependencies().
"""

load("//rules/private:native_forwarders.bzl", "native_forwarder")
load("//rules/private:strata_tool.bzl", "strata_tool")

def rules_strata_dependencies():
    """Declares the repositories rules_strata needs: the strata tool."""
    if not native.existing_rule("strata_tool"):
        strata_tool(name = "strata_tool")

def rules_strata_bazel4_offline_dependencies():
    """For Bazel 4 without internet (e.g. Debian's bazel-bootstrap) only.

    Declares `rules_cc` and `rules_java` as forwarders to Bazel's native rules,
    so cc_binary, sh_binary and the JDK toolchains resolve without a download.
    Call it before anything else declares those repositories; with Bazel 5+
    or with internet access, do not call it.
    """
    for name in ["rules_cc", "rules_java"]:
        if not native.existing_rule(name):
            native_forwarder(name = name, kind = name)
