"""The `bazel run` script of push, probe and pin targets: strata from runfiles, with arguments recorded at build time."""

# The template every strata `bazel run` target expands (with STRATA_RUN).
LAUNCHER = attr.label(default = Label("//rules/private:launcher.sh.tpl"), allow_single_file = True)

def strata_launcher(ctx, args, runfiles = []):
    """The `bazel run` script of a strata command: strata with args, from runfiles.

    The script runs from the runfiles tree, wherever it is started from,
    reads its arguments (one per line) from a file, and appends those the
    user gives after `--`.

    Args:
      ctx: the rule's context (_launcher = LAUNCHER, _strata_run = STRATA_RUN).
      args: the strata command line (an Args).
      runfiles: Files the command reads.

    Returns:
      The target's DefaultInfo, in a list.
    """
    cmd = ctx.actions.declare_file(ctx.label.name + ".args")
    args.set_param_file_format("multiline")
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._launcher,
        output = script,
        substitutions = {
            "%{strata}": ctx.executable._strata_run.short_path,
            "%{workspace}": ctx.workspace_name,
            "%{args_file}": cmd.short_path,
        },
        is_executable = True,
    )
    ctx.actions.write(cmd, args)
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = runfiles + [cmd, ctx.executable._strata_run]))]
