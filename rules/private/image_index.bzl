"""Implementation of image_index: a multi-arch OCI image index."""

load(":actions.bzl", "add_image_files")
load(":image_index_info.bzl", "ImageIndexInfo")
load(":image_info.bzl", "ImageInfo")
load(":label.bzl", "label_str")
load(":strata_attr.bzl", "STRATA_EXEC")
load(":target_platform.bzl", "platforms_split")

def _children(ctx):
    """(label, ImageInfo) of every child, in index order."""
    if ctx.attr.images and ctx.attr.image:
        fail("%s: set images, or image and platforms, not both" % ctx.label)
    if ctx.attr.image:
        if not ctx.attr.platforms:
            fail("%s: image needs platforms, e.g. [\"@rules_strata//platforms:linux_amd64\", \"@rules_strata//platforms:linux_arm64\"]" % ctx.label)

        # split_attr is keyed by the transition's keys: the platform labels.
        split = ctx.split_attr.image
        return [(ctx.attr.image[0].label, split[str(p.label)][ImageInfo]) for p in ctx.attr.platforms]
    if ctx.attr.platforms:
        fail("%s: platforms goes with image; with images each image sets its own os and architecture" % ctx.label)
    if not ctx.attr.images:
        fail("%s: set images, or image and platforms" % ctx.label)
    return [(t.label, t[ImageInfo]) for t in ctx.attr.images]

def _image_index_impl(ctx):
    name = ctx.label.name
    children = _children(ctx)
    index = ctx.actions.declare_file(name + ".index.json")
    digest = ctx.actions.declare_file(name + ".digest")
    platforms = ctx.actions.declare_file(name + ".platforms.txt")
    args = ctx.actions.args()
    args.add_all(["index", "--target", label_str(ctx.label), "--out", index, "--digest", digest, "--platforms-out", platforms])
    if ctx.attr.docker_manifest_list:
        args.add("--docker")

    # Each child's image files manifest, but of the files it names only the
    # manifest and config are inputs: an index never reads a layer blob.
    inputs = []
    for _, img in children:
        args.add("--image-files", img.files)
        inputs.extend([img.files, img.manifest, img.config])
    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = [args],
        inputs = inputs,
        outputs = [index, digest, platforms],
        mnemonic = "StrataIndex",
        progress_message = "Writing image index %s" % label_str(ctx.label),
    )

    layout = ctx.actions.declare_directory(name + ".oci")
    largs = ctx.actions.args()
    largs.add_all(["index-layout", "--index", index, "--out", layout.path])
    linputs = [index] + add_image_files(largs, [img for _, img in children], blobs = True)
    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = [largs],
        inputs = linputs,
        outputs = [layout],
        mnemonic = "StrataIndexLayout",
        progress_message = "Writing OCI layout of %s" % label_str(ctx.label),
    )
    return [
        DefaultInfo(files = depset([digest, index])),
        ImageIndexInfo(index = index, digest = digest, platforms = platforms, images = [img for _, img in children], image_labels = [label for label, _ in children]),
        OutputGroupInfo(oci_layout = depset([layout])),
    ]

image_index_rule = rule(
    implementation = _image_index_impl,
    doc = """A multi-arch image index (OCI image index, or Docker manifest list) of images built for several platforms.

Either list `images` (each sets its own `os`/`architecture`), or give one
`image` and `platforms`: the image, its layers and binaries, is then built
once per platform (a split transition on `--platforms`), and each child's
`os`, `architecture` and `variant` come from the platform's `@platforms//os`
and `@platforms//cpu` constraints unless the image sets them.

Default outputs: `NAME.digest` (the index digest) and `NAME.index.json`.
Output group `oci_layout`: directory `NAME.oci` holding the index and every
child (`skopeo copy --all oci:NAME.oci:latest ...`). The index action reads
each child's image files manifest, manifest and config only, never a layer
blob.
""",
    attrs = {
        "docker_manifest_list": attr.bool(doc = "Write a Docker manifest list (`application/vnd.docker.distribution.manifest.list.v2+json`) instead of an OCI image index, for clients that only know the Docker form. Children keep their own media type."),
        "image": attr.label(doc = "One `image` to build for each of `platforms`.", cfg = platforms_split, providers = [ImageInfo]),
        "images": attr.label_list(doc = "`image` targets, one per platform, in index order. Two with the same os/architecture/variant are refused.", providers = [ImageInfo]),
        "platforms": attr.label_list(doc = "With `image`: `platform` targets to build it for, in index order, e.g. `@rules_strata//platforms:linux_arm64`. A platform whose constraints do not map to an OCI os and architecture is an error naming it."),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
        "_strata": STRATA_EXEC,
    },
    provides = [ImageIndexInfo],
)
