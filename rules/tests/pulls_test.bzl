"""Tests of rules/private/pulls.bzl: how the module extension merges `pull` tags."""

load("//rules/private:pulls.bzl", "merge_pulls")
load(":unit.bzl", "expect_eq", "unit_result")

def _pull(name, image = "r.example/base", digest = "sha256:aa", dev = False):
    return struct(name = name, image = image, digest = digest, platform = "linux/amd64", download_layers = False, tag = "", timeout = 600, dev = dev)

def _mod(name, pulls, is_root = False):
    return struct(name = name, is_root = is_root, pulls = pulls)

def _merge_pulls_test_impl(ctx):
    failures = []

    # Identical pulls from two dependencies: fetched once, no error.
    m = merge_pulls([_mod("app", [], True), _mod("a", [_pull("base")]), _mod("b", [_pull("base")])])
    expect_eq(failures, "identical pulls: names", sorted(m.pulls.keys()), ["base"])
    expect_eq(failures, "identical pulls: errors", m.errors, [])

    # Two dependencies disagree: an error naming both and the fix.
    m = merge_pulls([_mod("app", [], True), _mod("a", [_pull("base")]), _mod("b", [_pull("base", digest = "sha256:bb")])])
    expect_eq(failures, "conflict: one error", len(m.errors), 1)
    if m.errors:
        for want in ["modules a and b", "name = \"base\"", "sha256:bb", "fix:"]:
            if want not in m.errors[0]:
                failures.append("conflict error lacks %r: %s" % (want, m.errors[0]))

    # The root module chooses, wherever it comes in the list.
    m = merge_pulls([_mod("a", [_pull("base")]), _mod("app", [_pull("base", digest = "sha256:cc")], True)])
    expect_eq(failures, "root wins: errors", m.errors, [])
    expect_eq(failures, "root wins: digest", m.pulls["base"].digest, "sha256:cc")

    # The root's direct dependencies, split by dev_dependency, for extension_metadata.
    m = merge_pulls([_mod("app", [_pull("base"), _pull("test_base", dev = True)], True), _mod("a", [_pull("other")])])
    expect_eq(failures, "root direct deps", m.root_direct, ["base"])
    expect_eq(failures, "root direct dev deps", m.root_direct_dev, ["test_base"])
    expect_eq(failures, "all repositories", sorted(m.pulls.keys()), ["base", "other", "test_base"])

    # One module naming a pull twice is a mistake, even if identical.
    m = merge_pulls([_mod("app", [_pull("base"), _pull("base")], True)])
    expect_eq(failures, "duplicate in one module: one error", len(m.errors), 1)
    return unit_result(ctx, failures)

merge_pulls_test = rule(
    implementation = _merge_pulls_test_impl,
    doc = "merge_pulls: de-duplication, conflicts, root precedence, dev dependencies.",
    test = True,
)
