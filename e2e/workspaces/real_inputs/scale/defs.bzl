"""A binary whose runfiles declare symlinks and root symlinks."""

def _linked_binary_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.write(out, "#!/bin/sh\ncat \"$0.runfiles/real_inputs/alias/a.txt\"\n", is_executable = True)

    # ctx.runfiles(symlinks/root_symlinks) puts a.txt and b.txt in the tree
    # only as link targets: they are not in runfiles.files.
    return [DefaultInfo(executable = out, runfiles = ctx.runfiles(
        symlinks = {"alias/a.txt": ctx.file.a},
        root_symlinks = {"rootlink/b.txt": ctx.file.b},
    ))]

linked_binary = rule(
    implementation = _linked_binary_impl,
    executable = True,
    attrs = {
        "a": attr.label(allow_single_file = True),
        "b": attr.label(allow_single_file = True),
    },
)
