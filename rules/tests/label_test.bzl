"""Tests of rules/private/label.bzl: names in image bytes do not depend on the Bazel version."""

load("//rules/private:label.bzl", "apparent_repo_name", "label_str")
load(":unit.bzl", "expect_eq", "unit_result")

def _apparent_repo_name_test_impl(ctx):
    failures = []
    for canonical, want in [
        ("", ""),
        ("base", "base"),  # WORKSPACE
        ("rules_strata", "rules_strata"),
        ("rules_strata~0.0.0", "rules_strata"),  # Bazel 7.0 module repository
        ("rules_strata~", "rules_strata"),  # 7.1+
        ("rules_strata+", "rules_strata"),  # 8+
        ("_main~strata~base", "base"),  # 7: the root module's extension repository
        ("rules_strata~0.0.0~strata~base", "base"),  # 7.0
        ("rules_strata~~strata~base", "base"),  # 7.1+
        ("rules_strata++strata+base", "base"),  # 8+
        ("+strata+base", "base"),  # 8+: the root module's extension repository
    ]:
        expect_eq(failures, "apparent_repo_name(%r)" % canonical, apparent_repo_name(canonical), want)

    # Labels this Bazel makes: the main repository has no repository part.
    expect_eq(failures, "label_str of a main-repository label", label_str(Label("//examples/hello:image")), "//examples/hello:image")
    expect_eq(failures, "label_str of @strata_tool", label_str(Label("@strata_tool//:strata")), "@strata_tool//:strata")
    return unit_result(ctx, failures)

apparent_repo_name_test = rule(
    implementation = _apparent_repo_name_test_impl,
    doc = "apparent_repo_name and label_str across Bazel versions' canonical names.",
    test = True,
)
