"""Implementation of image."""

load(":image_info.bzl", "ImageInfo")
load(":label.bzl", "label_str")
load(":layer_info.bzl", "LayerInfo")

def blob_args(args, layers):
    """Adds --descriptor/--blob pairs; a layer left in its registry gets --blob ""."""
    for layer in layers:
        args.add("--descriptor", layer.descriptor)
        args.add("--blob", layer.blob.path if layer.blob else "")

def blob_inputs(layers):
    """The descriptor and (if any) blob files of layers."""
    return [layer.descriptor for layer in layers] + [layer.blob for layer in layers if layer.blob]

def _image_impl(ctx):
    name = ctx.label.name
    base = ctx.attr.base[ImageInfo] if ctx.attr.base else None
    layers = [t[LayerInfo] for t in ctx.attr.layers]

    config = ctx.actions.declare_file(name + ".config.json")
    manifest = ctx.actions.declare_file(name + ".manifest.json")
    digest = ctx.actions.declare_file(name + ".digest")
    spec = {
        "annotations": ctx.attr.annotations,
        "architecture": ctx.attr.architecture,
        "base_config": base.config.path if base else "",
        "base_manifest": base.manifest.path if base else "",
        "cmd": ctx.attr.cmd or None,
        "created": ctx.attr.created,
        "entrypoint": ctx.attr.entrypoint or None,
        "env": ctx.attr.env,
        "exposed_ports": ctx.attr.exposed_ports,
        "labels": ctx.attr.labels,
        "layer_targets": [label_str(layer.label) for layer in layers],
        "layers": [layer.descriptor.path for layer in layers],
        "os": ctx.attr.os,
        "target": label_str(ctx.label),
        "user": ctx.attr.user,
        "variant": ctx.attr.variant,
        "volumes": ctx.attr.volumes,
        "workdir": ctx.attr.workdir,
    }
    spec_file = ctx.actions.declare_file(name + ".image.json")
    ctx.actions.write(spec_file, json.encode(spec))
    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = ["image", "--spec", spec_file.path, "--config", config.path, "--manifest", manifest.path, "--digest", digest.path],
        # Descriptors only: assembling an image never reads layer bytes.
        inputs = [spec_file] + [layer.descriptor for layer in layers] + ([base.manifest, base.config] if base else []),
        outputs = [config, manifest, digest],
        mnemonic = "StrataImage",
        progress_message = "Assembling image %s" % ctx.label,
    )

    all_layers = (base.layers if base else []) + layers
    blobs = blob_inputs(all_layers)

    layout = ctx.actions.declare_directory(name + ".oci")
    args = ctx.actions.args()
    args.add_all(["oci-layout", "--manifest", manifest, "--config", config, "--out", layout.path])
    blob_args(args, all_layers)
    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = [args],
        inputs = [manifest, config] + blobs,
        outputs = [layout],
        mnemonic = "StrataOCILayout",
        progress_message = "Writing OCI layout %s" % ctx.label,
    )

    tarball = ctx.actions.declare_file(name + ".tar")
    args = ctx.actions.args()
    args.add_all(["tarball", "--manifest", manifest, "--config", config, "--out", tarball])
    args.add_all(ctx.attr.repo_tags, before_each = "--tag")
    blob_args(args, all_layers)
    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = [args],
        inputs = [manifest, config] + blobs,
        outputs = [tarball],
        mnemonic = "StrataTarball",
        progress_message = "Writing docker-archive %s" % ctx.label,
    )

    return [
        DefaultInfo(files = depset([digest, manifest, config])),
        ImageInfo(manifest = manifest, config = config, digest = digest, layers = all_layers, tarball = tarball),
        OutputGroupInfo(oci_layout = depset([layout]), tarball = depset([tarball])),
    ]

ATTRS = {
    "annotations": attr.string_dict(doc = "Manifest annotations, e.g. `org.opencontainers.image.source`."),
    "architecture": attr.string(doc = "CPU architecture (`amd64`, `arm64`, ...). Empty: the base's, or `amd64` on scratch."),
    "base": attr.label(doc = "An `image` target, or an `image_pull` repository (`@name`), to build on. Empty: scratch.", providers = [ImageInfo]),
    "cmd": attr.string_list(doc = "Default arguments. Empty: inherited from the base unless `entrypoint` is set."),
    "created": attr.int(doc = "Creation time in the config and history, seconds since the epoch. Keep it fixed: it is part of the digest.", default = 0),
    "entrypoint": attr.string_list(doc = "Entrypoint. Empty: inherited from the base."),
    "env": attr.string_dict(doc = "Environment variables, merged over the base's. Values may use the base's variables: `{\"PATH\": \"/app/bin:$PATH\"}`."),
    "exposed_ports": attr.string_list(doc = "Ports such as `8080` (tcp) or `53/udp`."),
    "labels": attr.string_dict(doc = "Config labels, merged over the base's."),
    "layers": attr.label_list(doc = "`image_layer` targets, bottom to top, stacked on the base's layers.", providers = [LayerInfo]),
    "os": attr.string(doc = "Operating system. Empty: the base's, or `linux` on scratch."),
    "repo_tags": attr.string_list(doc = "`repo:tag` names recorded in the `tarball` output, as `docker load` shows them."),
    "user": attr.string(doc = "User (name or uid[:gid]) the entrypoint runs as."),
    "variant": attr.string(doc = "CPU variant, e.g. `v8` for arm64."),
    "volumes": attr.string_list(doc = "Absolute paths declared as volumes."),
    "workdir": attr.string(doc = "Working directory."),
    "_strata": attr.label(
        default = Label("@strata_tool//:strata"),
        executable = True,
        cfg = "exec",
        allow_single_file = True,
    ),
}

image_rule = rule(
    implementation = _image_impl,
    doc = """Assembles an OCI image from layers on an optional base.

Default outputs (small, so remote-cache users download kilobytes): `NAME.digest`,
`NAME.manifest.json`, `NAME.config.json`. Output groups: `oci_layout` (directory
`NAME.oci`) and `tarball` (`NAME.tar`, a docker-archive).
""",
    attrs = ATTRS,
    provides = [ImageInfo],
)
