"""Stand-in for bazel_skylib's bzl_library: rules_go's BUILD files declare them; nothing here builds them."""

StarlarkLibraryInfo = provider("The .bzl files of a bzl_library and its deps.", fields = ["srcs", "transitive_srcs"])

def _impl(ctx):
    srcs = depset(ctx.files.srcs, transitive = [d[StarlarkLibraryInfo].transitive_srcs for d in ctx.attr.deps if StarlarkLibraryInfo in d])
    return [DefaultInfo(files = srcs), StarlarkLibraryInfo(srcs = ctx.files.srcs, transitive_srcs = srcs)]

bzl_library = rule(
    implementation = _impl,
    attrs = {
        "deps": attr.label_list(allow_files = True),
        "srcs": attr.label_list(allow_files = True),
    },
)
