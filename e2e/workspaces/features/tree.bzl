"""A rule that outputs a directory (tree artifact), like many generators do."""

def _site_tree_impl(ctx):
    out = ctx.actions.declare_directory(ctx.label.name)
    ctx.actions.run_shell(
        inputs = ctx.files.srcs,
        outputs = [out],
        command = "mkdir -p {out}/css && cp {css} {out}/css/ && cp {html} {out}/ && printf 'generated' > {out}/gen.txt".format(
            out = out.path,
            css = ctx.file.css.path,
            html = ctx.file.html.path,
        ),
    )
    return [DefaultInfo(files = depset([out]))]

site_tree = rule(
    implementation = _site_tree_impl,
    attrs = {
        "css": attr.label(allow_single_file = True),
        "html": attr.label(allow_single_file = True),
        "srcs": attr.label_list(allow_files = True),
    },
)
