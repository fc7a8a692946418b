"""strata_pin: the `bazel run` target that re-pins image_pull digests (docs/pin.md)."""

load(":launcher.bzl", "LAUNCHER", "strata_launcher")
load(":strata_attr.bzl", "STRATA_RUN")

def _strata_pin_impl(ctx):
    args = ctx.actions.args()
    args.add("pin")
    return strata_launcher(ctx, args)

strata_pin = rule(
    implementation = _strata_pin_impl,
    doc = """`bazel run` target for `strata pin`: resolves the `tag` of every
`image_pull` (and `strata.pull` in MODULE.bazel) to the registry's current
digest and rewrites `digest = "..."` in place, in the workspace `bazel run`
started from. `-- --check` lists stale pins and exits 4; `-- --dry-run` prints
the diff. One instance is `@rules_strata//rules:pin`.
""",
    attrs = {
        "_launcher": LAUNCHER,
        "_strata_run": STRATA_RUN,
    },
    executable = True,
)
