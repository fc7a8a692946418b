"""image_inspect and the index's `.inspect`: `bazel run` targets that print what an image or index holds."""

load(":actions.bzl", "add_image_files", "image_files_inputs", "run_local")
load(":image_index_info.bzl", "ImageIndexInfo")
load(":image_info.bzl", "ImageInfo")
load(":label.bzl", "label_str")
load(":launcher.bzl", "LAUNCHER", "launcher")
load(":strata_attr.bzl", "STRATA_EXEC")

def _inspect(ctx, args, inputs, mnemonic, what):
    """Runs the inspect action; returns the target that prints its text.

    Described at build time by a local action (see run_local), not when it
    runs. No layer blob is read.

    Args:
      ctx: the rule context.
      args: the strata subcommand and its flags, without --out.
      inputs: what it reads (never a layer blob).
      mnemonic: StrataInspect or StrataInspectIndex.
      what: what is described, for the progress message.

    Returns:
      The target's DefaultInfo, in a list.
    """
    text = ctx.actions.declare_file(ctx.label.name + ".txt")
    args.add("--out", text)
    run_local(ctx, args, inputs, text, mnemonic, "Describing %s" % what)
    run = "while IFS= read -r line || [[ -n $line ]]; do printf '%%s\\n' \"$line\"; done < \"%s\"" % text.short_path
    return [launcher(ctx, "prints what strata wrote at build time.", run, [text], files = [text])]

def _image_inspect_impl(ctx):
    image = ctx.attr.image[ImageInfo]
    args = ctx.actions.args()
    args.add_all(["inspect", "--image-files", image.files])
    return _inspect(ctx, args, image_files_inputs(image), "StrataInspect", "image " + label_str(ctx.attr.image.label))

def _index_inspect_impl(ctx):
    idx = ctx.attr.index[ImageIndexInfo]
    args = ctx.actions.args()
    args.add_all(["inspect-index", "--index", idx.index, "--digest", idx.digest])
    inputs = [idx.index, idx.digest] + add_image_files(args, idx.images)
    return _inspect(ctx, args, inputs, "StrataInspectIndex", "image index " + label_str(ctx.attr.index.label))

image_inspect = rule(
    implementation = _image_inspect_impl,
    doc = """`bazel run` target that prints an image's digest, config digest, platform and layers.

Each layer row gives its size as stored (compressed), its compression, a short
digest and the target that built it (from the config's history; a pulled
base's layers show what built them upstream). Reads only the manifest and
config, never a layer blob. `bazel build` it to get the same text in
`NAME.txt`.
""",
    attrs = {
        "image": attr.label(doc = "The `image` (or `image_pull`) to describe.", mandatory = True, providers = [ImageInfo]),
        "_launcher": LAUNCHER,
        "_strata": STRATA_EXEC,
    },
    executable = True,
)

image_index_inspect = rule(
    implementation = _index_inspect_impl,
    doc = """`bazel run` target that prints an index's digest, its children (platform, digest, size) and each child's layers.""",
    attrs = {
        "index": attr.label(doc = "The `image_index` to describe.", mandatory = True, providers = [ImageIndexInfo]),
        "_launcher": LAUNCHER,
        "_strata": STRATA_EXEC,
    },
    executable = True,
)
