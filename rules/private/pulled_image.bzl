"""pulled_image: ImageInfo for a base fetched by image_pull (used in its generated BUILD)."""

load(":actions.bzl", "write_image_file", "write_image_files")
load(":image_info.bzl", "ImageInfo")
load(":layer_info.bzl", "LayerInfo")
load(":strata_attr.bzl", "STRATA_EXEC")

def _pulled_image_impl(ctx):
    if ctx.files.blobs and len(ctx.files.blobs) != len(ctx.files.descriptors):
        fail("%s: %d blobs for %d layers" % (ctx.label, len(ctx.files.blobs), len(ctx.files.descriptors)))
    layers = [
        LayerInfo(
            blob = ctx.files.blobs[i] if ctx.files.blobs else None,
            descriptor = d,
            label = ctx.label,
        )
        for i, d in enumerate(ctx.files.descriptors)
    ]
    files = write_image_files(ctx, ctx.label.name, ctx.label, ctx.file.manifest, ctx.file.config, ctx.file.digest, layers)
    on_disk = struct(files = files, manifest = ctx.file.manifest, config = ctx.file.config, digest = ctx.file.digest, layers = layers)
    tarball = ctx.actions.declare_file(ctx.label.name + ".tar")
    write_image_file(ctx, "docker-archive", "StrataDockerArchive", "docker-archive", tarball, on_disk)
    return [
        DefaultInfo(files = depset([ctx.file.digest, ctx.file.manifest, ctx.file.config])),
        ImageInfo(
            manifest = ctx.file.manifest,
            config = ctx.file.config,
            digest = ctx.file.digest,
            layers = layers,
            tarball = tarball,
            files = files,
        ),
        # What a .load without an engine tells the user to build.
        OutputGroupInfo(tarball = depset([tarball])),
    ]

pulled_image = rule(
    implementation = _pulled_image_impl,
    doc = "A base image fetched by image_pull. Not for direct use: image_pull writes it.",
    attrs = {
        "blobs": attr.label_list(allow_files = True, doc = "Layer blobs, if downloaded, in manifest order."),
        "config": attr.label(allow_single_file = True, mandatory = True, doc = "Config JSON."),
        "descriptors": attr.label_list(allow_files = True, doc = "Layer descriptors, in manifest order."),
        "digest": attr.label(allow_single_file = True, mandatory = True, doc = "Manifest digest file."),
        "manifest": attr.label(allow_single_file = True, mandatory = True, doc = "Platform manifest JSON."),
        "_strata": STRATA_EXEC,
    },
    provides = [ImageInfo],
)
