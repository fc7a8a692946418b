"""Implementation of image."""

load(":actions.bzl", "WIRE_VERSION", "write_image_file", "write_image_files")
load(":image_info.bzl", "ImageInfo")
load(":label.bzl", "label_str")
load(":layer_info.bzl", "LayerInfo")
load(":provenance.bzl", "provenance_output_group")
load(":sbom.bzl", "sbom_output_group")
load(":stamp.bzl", "stamping")
load(":strata_attr.bzl", "STRATA_EXEC")
load(":target_platform.bzl", "TargetPlatformInfo")

def _image_impl(ctx):
    name = ctx.label.name
    base = ctx.attr.base[ImageInfo] if ctx.attr.base else None
    layers = [t[LayerInfo] for t in ctx.attr.layers]

    config = ctx.actions.declare_file(name + ".config.json")
    manifest = ctx.actions.declare_file(name + ".manifest.json")
    digest = ctx.actions.declare_file(name + ".digest")

    # The image action reads the workspace status only when it stamps and has
    # something to stamp: otherwise --stamp changes no action key, and an
    # unstamped build is byte-identical to one of an image without templates.
    # Layer actions never see the status.
    templated = ctx.attr.created_from or [v for v in ctx.attr.labels.values() + ctx.attr.annotations.values() if "{" in v]
    status = [ctx.info_file, ctx.version_file] if templated and stamping(ctx) else []

    # Inside image_index(platforms = ...): the platform's, unless set here.
    platform = ctx.attr._target_platform[TargetPlatformInfo]
    spec = {
        "annotations": ctx.attr.annotations,
        "architecture": ctx.attr.architecture or platform.architecture,
        "base_config": base.config.path if base else "",
        "base_manifest": base.manifest.path if base else "",
        "cmd": ctx.attr.cmd or None,
        "created": ctx.attr.created,
        "created_from": ctx.attr.created_from if status else "",
        "entrypoint": ctx.attr.entrypoint or None,
        "env": ctx.attr.env,
        "exposed_ports": ctx.attr.exposed_ports,
        "labels": ctx.attr.labels,
        "layers": [layer.descriptor.path for layer in layers],
        "os": ctx.attr.os or platform.os,
        "status": [f.path for f in status],
        "target": label_str(ctx.label),
        "user": ctx.attr.user,
        "v": WIRE_VERSION,
        "variant": ctx.attr.variant or ("" if ctx.attr.architecture else platform.variant),
        "volumes": ctx.attr.volumes,
        "workdir": ctx.attr.workdir,
    }
    spec_file = ctx.actions.declare_file(name + ".image.json")
    ctx.actions.write(spec_file, json.encode(spec))
    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = ["image", "--spec", spec_file.path, "--config", config.path, "--manifest", manifest.path, "--digest", digest.path],
        # Descriptors only: assembling an image never reads layer bytes.
        inputs = [spec_file] + status + [layer.descriptor for layer in layers] + ([base.manifest, base.config] if base else []),
        outputs = [config, manifest, digest],
        mnemonic = "StrataImage",
        progress_message = "Assembling image %s" % ctx.label,
    )

    all_layers = (base.layers if base else []) + layers
    files = write_image_files(ctx, name, ctx.label, manifest, config, digest, all_layers)
    on_disk = struct(files = files, manifest = manifest, config = config, digest = digest, layers = all_layers)
    layout = ctx.actions.declare_directory(name + ".oci")
    write_image_file(ctx, "oci-layout", "StrataOCILayout", "OCI layout", layout, on_disk)
    tarball = ctx.actions.declare_file(name + ".tar")
    tag_args = []
    for tag in ctx.attr.repo_tags:
        tag_args.extend(["--tag", tag])
    write_image_file(ctx, "docker-archive", "StrataDockerArchive", "docker-archive", tarball, on_disk, tag_args)

    return [
        DefaultInfo(files = depset([digest, manifest, config])),
        ImageInfo(manifest = manifest, config = config, digest = digest, layers = all_layers, tarball = tarball, files = files, repo_tags = ctx.attr.repo_tags),
        OutputGroupInfo(oci_layout = depset([layout]), tarball = depset([tarball]), **dict(
            sbom_output_group(ctx, ctx.attr.base, base, all_layers, config, digest),
            **provenance_output_group(ctx, ctx.attr.base, base, all_layers, digest)
        )),
    ]

ATTRS = {
    "annotations": attr.string_dict(doc = "Manifest annotations, e.g. `org.opencontainers.image.source`. Values may use `{KEY}` from the workspace status when stamping (see [stamping](stamping.md))."),
    "architecture": attr.string(doc = "CPU architecture (`amd64`, `arm64`, ...). Empty: the base's, or `amd64` on scratch."),
    "base": attr.label(doc = "An `image` target, or an `image_pull` repository (`@name`), to build on. Empty: scratch.", providers = [ImageInfo]),
    "cmd": attr.string_list(doc = "Default arguments. Empty: inherited from the base unless `entrypoint` is set."),
    "created": attr.int(doc = "Creation time in the config and history, seconds since the epoch. Keep it fixed: it is part of the digest.", default = 0),
    "created_from": attr.string(doc = "A workspace status key (e.g. `STABLE_COMMIT_TIME`, `BUILD_TIMESTAMP`) whose value, seconds since the epoch, replaces `created` when stamping. Unstamped: `created`."),
    "entrypoint": attr.string_list(doc = "Entrypoint. Empty: inherited from the base."),
    "env": attr.string_dict(doc = "Environment variables, merged over the base's. Values may use the base's variables: `{\"PATH\": \"/app/bin:$PATH\"}`."),
    "exposed_ports": attr.string_list(doc = "Ports such as `8080` (tcp), `53/udp` or `9000/sctp`; numbers 1..65535."),
    "labels": attr.string_dict(doc = "Config labels, merged over the base's. Values may use `{KEY}` from the workspace status when stamping, e.g. `{\"org.opencontainers.image.revision\": \"{STABLE_GIT_COMMIT}\"}`; unstamped, they are kept as written."),
    "layers": attr.label_list(doc = "`image_layer` targets, bottom to top, stacked on the base's layers.", providers = [LayerInfo]),
    "os": attr.string(doc = "Operating system. Empty: the base's, or `linux` on scratch."),
    "repo_tags": attr.string_list(doc = "`repo:tag` names recorded in the `tarball` output, as `docker load` shows them."),
    "stamp": attr.int(doc = "1: fill `{KEY}` in labels and annotations and `created_from` from the workspace status; 0: never; -1: follow `--stamp`.", default = -1, values = [-1, 0, 1]),
    "user": attr.string(doc = "User the entrypoint runs as: `name`, `uid`, `name:group` or `uid:gid` (mixed forms too)."),
    "variant": attr.string(doc = "CPU variant, e.g. `v8` for arm64."),
    "volumes": attr.string_list(doc = "Absolute paths declared as volumes."),
    "workdir": attr.string(doc = "Working directory."),
    "_stamp_flag": attr.label(default = Label("//rules/private:stamp_flag")),
    "_strata": STRATA_EXEC,
    "_target_platform": attr.label(default = Label("//rules/private:target_platform"), providers = [TargetPlatformInfo]),
}

image_rule = rule(
    implementation = _image_impl,
    doc = """Assembles an OCI image from layers on an optional base.

Default outputs (small, so remote-cache users download kilobytes): `NAME.digest`,
`NAME.manifest.json`, `NAME.config.json`. Output groups: `oci_layout` (directory
`NAME.oci`), `tarball` (`NAME.tar`, a docker-archive), `sbom`
(`NAME.spdx.json`) and `provenance` (`NAME.provenance.json`); see
[sbom](sbom.md).
""",
    attrs = ATTRS,
    provides = [ImageInfo],
)
