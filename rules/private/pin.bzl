"""strata_pin: the `bazel run` target that re-pins image_pull digests (docs/pin.md)."""

load(":strata_attr.bzl", "STRATA_RUN")

def _strata_pin_impl(ctx):
    # The launcher reads the command (one argument per line) from this file
    # and appends what the user gives after `--`.
    args = ctx.actions.declare_file(ctx.label.name + ".args")
    ctx.actions.write(args, "pin\n")
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._launcher,
        output = script,
        substitutions = {
            "%{strata}": ctx.executable._strata_run.short_path,
            "%{workspace}": ctx.workspace_name,
            "%{args_file}": args.short_path,
        },
        is_executable = True,
    )
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = [args, ctx.executable._strata_run]))]

strata_pin = rule(
    implementation = _strata_pin_impl,
    doc = """`bazel run` target for `strata pin`: resolves the `tag` of every
`image_pull` (and `strata.pull` in MODULE.bazel) to the registry's current
digest and rewrites `digest = "..."` in place, in the workspace `bazel run`
started from. `-- --check` lists stale pins and exits 4; `-- --dry-run` prints
the diff. One instance is `@rules_strata//rules:pin`.
""",
    attrs = {
        "_launcher": attr.label(default = Label("//rules/private:launcher.sh.tpl"), allow_single_file = True),
        "_strata_run": STRATA_RUN,
    },
    executable = True,
)
