"""The `bazel run` script of push, probe, pin, load and inspect targets: one template, run from the runfiles tree."""

# The template every strata `bazel run` target expands.
LAUNCHER = attr.label(default = Label("//rules/private:launcher.sh.tpl"), allow_single_file = True)

def launcher(ctx, what, run, runfiles, files = []):
    """The `bazel run` script of a target: run, started in the runfiles tree.

    The script changes to the workspace's runfiles directory, wherever it is
    started from (`$self` is its absolute path, `$STRATA_ORIG_PWD` where it
    was started), then runs the shell lines run.

    Args:
      ctx: the rule's context (_launcher = LAUNCHER).
      what: what the script does, for its header comment.
      run: bash lines to run in the runfiles tree.
      runfiles: Files the script reads.
      files: more default outputs besides the script.

    Returns:
      The target's DefaultInfo.
    """
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._launcher,
        output = script,
        substitutions = {
            "%{run}": run.rstrip("\n"),
            "%{what}": what,
            "%{workspace}": ctx.workspace_name,
        },
        is_executable = True,
    )
    return DefaultInfo(executable = script, files = depset([script] + files), runfiles = ctx.runfiles(files = runfiles))

def read_lines(var, path):
    """Bash that reads the lines of the file at path into the array var.

    Every generated script must run under macOS's /bin/bash (3.2), which
    has no `mapfile`; a `bazel run` or `bazel test` there finds that bash
    first. The last line counts even without a newline. bash before 4.4
    calls an empty array unbound under `set -u`: where the file may be
    empty, expand it as `${var[@]+"${var[@]}"}`.

    Args:
      var: the array's name.
      path: the file, as a bash word (quoted or a "$variable").

    Returns:
      One line of bash.
    """
    return '%s=(); while IFS= read -r _line || [[ -n $_line ]]; do %s+=("$_line"); done < %s' % (var, var, path)

def strata_launcher(ctx, args, runfiles = []):
    """The `bazel run` script of a strata command: strata with args, from runfiles.

    The script reads its arguments (one per line) from a file, and appends
    those the user gives after `--`.

    Args:
      ctx: the rule's context (_launcher = LAUNCHER, _strata_run = STRATA_RUN).
      args: the strata command line (an Args).
      runfiles: Files the command reads.

    Returns:
      The target's DefaultInfo, in a list.
    """
    cmd = ctx.actions.declare_file(ctx.label.name + ".args")
    args.set_param_file_format("multiline")
    ctx.actions.write(cmd, args)
    run = '%s\nexec "%s" "${args[@]}" "$@"' % (read_lines("args", '"%s"' % cmd.short_path), ctx.executable._strata_run.short_path)
    what = "runs strata with the arguments recorded at build time (and any after `--`)."
    return [launcher(ctx, what, run, runfiles + [cmd, ctx.executable._strata_run])]
