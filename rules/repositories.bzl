"""WORKSPACE setup for rules_strata (Bazel 4.2+ without bzlmod).

    load("@rules_strata//rules:repositories.bzl", "rules_strata_dependencies")
    rules_strata_dependencies()

On an offline Bazel 4 (Debian's bazel-bootstrap) also call
rules_strata_bazel4_offline_dependencies().
"""

load("//rules/private:native_forwarders.bzl", "native_forwarder")
load("//rules/private:strata_tool.bzl", "strata_tool_repositories")

def rules_strata_dependencies():
    """Declares the repositories rules_strata needs: the strata tool, per execution platform."""
    if not native.existing_rule("strata_tool"):
        strata_tool_repositories(name = "strata_tool")

def rules_strata_bazel4_offline_dependencies():
    """For Bazel 4 without internet (e.g. Debian's bazel-bootstrap) only.

    Declares `rules_cc`, `rules_java` and `rules_shell` as forwarders to
    Bazel's native rules, so cc_binary, sh_binary and the JDK toolchains
    resolve without a download, and an empty `remote_coverage_tools`, so
    `bazel test` works offline (without coverage). Call it before anything else declares those
    repositories. It refuses to run on Bazel 5 and newer: there the real
    rules exist (and Bazel 7/8 autoload them), and a forwarder would hide them.
    """
    version = getattr(native, "bazel_version", "") or ""
    major = version.split(".")[0]
    if major.isdigit() and int(major) >= 5:
        fail(("rules_strata: rules_strata_bazel4_offline_dependencies() is for Bazel 4 without internet only, " +
              "and this is Bazel %s (fix: remove the call; declare rules_cc, rules_java and rules_shell " +
              "the usual way, or use bzlmod)") % version)
    for name in ["rules_cc", "rules_java", "rules_shell", "remote_coverage_tools"]:
        if not native.existing_rule(name):
            native_forwarder(name = name, kind = name)
