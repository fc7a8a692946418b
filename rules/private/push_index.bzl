"""image_index_push / image_index_probe: `bazel run` targets for an image index."""

load(":actions.bzl", "add_image_files")
load(":image_index_info.bzl", "ImageIndexInfo")
load(":launcher.bzl", "LAUNCHER", "strata_launcher")
load(":push.bzl", "push_command", "write_push_spec")
load(":strata_attr.bzl", "STRATA_EXEC", "STRATA_RUN")

def _impl(ctx, command):
    idx = ctx.attr.index[ImageIndexInfo]

    # One small local file with the index and, per child, what `strata push`
    # needs (as image_push's push spec): never a blob, see push.bzl.
    sargs = ctx.actions.args()
    sargs.add_all(["index-push-spec", "--index", idx.index, "--index-digest", idx.digest])
    spec = write_push_spec(ctx, sargs, [idx.index, idx.digest] + add_image_files(sargs, idx.images), "StrataIndexPushSpec")
    args, runfiles = push_command(ctx, command, spec)
    if ctx.attr.platform_tags:
        args.add("--platform-tags")
    return strata_launcher(ctx, args, runfiles)

def _push_impl(ctx):
    return _impl(ctx, "push-index")

def _probe_impl(ctx):
    return _impl(ctx, "probe-index")

_ATTRS = {
    "index": attr.label(doc = "The `image_index` to push.", mandatory = True, providers = [ImageIndexInfo]),
    "platform_tags": attr.bool(doc = "Also point `{tag}-{arch}` (`{tag}-{arch}{variant}` with a variant, e.g. `1.2-armv7`) at each child, for clients that do not read indexes yet."),
    "remote_tags": attr.string_list(doc = "Tags to set on the index in every repository; `{VAR}` templates as in image_push. Children get no tags (unless `platform_tags`)."),
    "repositories": attr.string_list(doc = "Repositories to push to."),
    "stamp": attr.int(doc = "1: fill tag templates from the workspace status; 0: do not; -1: follow `--stamp`.", default = -1, values = [-1, 0, 1]),
    "_launcher": LAUNCHER,
    "_stamp_flag": attr.label(default = Label("//rules/private:stamp_flag")),
    "_strata": STRATA_EXEC,
    "_strata_run": STRATA_RUN,
}

image_index_push = rule(
    implementation = _push_impl,
    doc = """`bazel run` target that pushes an image index: every child's blobs and manifest first, the index last.

Tags go on the index only (plus `{tag}-{arch}` per child with
`platform_tags`). A repository that already holds the index costs one
request (plus one per tag). Arguments after `--` as for image_push:
`--repository R`, `--tag T`, `--dry-run`, `--refs-out FILE`, `--attempts N`,
`--timeout D`, `--jobs N`.
""",
    attrs = _ATTRS,
    executable = True,
)

image_index_probe = rule(
    implementation = _probe_impl,
    doc = """`bazel run` target that tells whether every repository already holds the image index and its tags.

Exit code 0: everything is pushed; 3: something is missing; 1: an error.
""",
    attrs = _ATTRS,
    executable = True,
)
