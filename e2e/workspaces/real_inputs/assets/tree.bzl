"""A generator whose output is a directory (tree artifact) holding symlinks."""

def _linked_tree_impl(ctx):
    out = ctx.actions.declare_directory(ctx.label.name)
    ctx.actions.run_shell(
        outputs = [out],
        command = "mkdir -p {o}/sub && printf 'a\\n' > {o}/a.txt && printf 'b\\n' > {o}/sub/b.txt && {links}".format(
            o = out.path,
            links = " && ".join(["ln -s %s %s/%s" % (target, out.path, name) for name, target in ctx.attr.links.items()]),
        ),
        mnemonic = "LinkedTree",
    )
    return [DefaultInfo(files = depset([out]))]

linked_tree = rule(
    implementation = _linked_tree_impl,
    doc = "A directory with a.txt, sub/b.txt and the given symlinks (name -> target).",
    attrs = {"links": attr.string_dict()},
)
