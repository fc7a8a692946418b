"""image_test: assertions on a built image, run by `bazel test`, no daemon."""

load(":image_info.bzl", "ImageInfo")
load(":label.bzl", "label_str")
load(":strata_attr.bzl", "STRATA_EXEC")

def _image_test_impl(ctx):
    image = ctx.attr.image[ImageInfo]
    spec = ctx.actions.declare_file(ctx.label.name + ".image_test.json")

    # Empty attributes are not checked: null, not [] or "".
    ctx.actions.write(spec, json.encode({
        "absent": ctx.attr.absent,
        "config": {
            "cmd": ctx.attr.cmd or None,
            "entrypoint": ctx.attr.entrypoint or None,
            "env": ctx.attr.env,
            "exposed_ports": ctx.attr.exposed_ports or None,
            "labels": ctx.attr.labels,
            "user": ctx.attr.user,
            "workdir": ctx.attr.workdir,
        },
        "files": ctx.attr.files,
        "max_layer_size": ctx.attr.max_layer_size,
        "max_layer_uncompressed_size": ctx.attr.max_layer_uncompressed_size,
        "max_size": ctx.attr.max_size,
        "max_uncompressed_size": ctx.attr.max_uncompressed_size,
        "target": label_str(ctx.label),
    }))
    args = ctx.actions.args()
    args.set_param_file_format("multiline")
    args.add_all(["image-test", "--spec", spec.short_path, "--manifest", image.manifest.short_path, "--config", image.config.short_path])
    blobs = []
    for layer in image.layers:
        args.add("--descriptor", layer.descriptor.short_path)
        args.add("--blob", layer.blob.short_path if layer.blob else "")
        if layer.blob:
            blobs.append(layer.blob)
    args_file = ctx.actions.declare_file(ctx.label.name + ".args")
    ctx.actions.write(args_file, args)
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._launcher,
        output = script,
        substitutions = {
            "%{args_file}": args_file.short_path,
            "%{strata}": ctx.executable._strata.short_path,
            "%{workspace}": ctx.workspace_name,
        },
        is_executable = True,
    )
    files = [spec, args_file, image.manifest, image.config, ctx.executable._strata] + [layer.descriptor for layer in image.layers] + blobs
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = files))]

image_test = rule(
    implementation = _image_test_impl,
    doc = """Checks a built image without a daemon: files, config and size budgets.

`bazel test` fails with one line per mismatch (`/app/bin/hello: mode: want
0755, got 0644`) and, for budgets, a table of what exceeded them. Attributes
left empty are not checked. File checks read the flattened filesystem of
every layer (whiteouts applied), so a base pulled shallowly needs
`download_layers = True`; config checks and compressed budgets read no layer.
""",
    attrs = {
        "absent": attr.string_list(doc = "Paths that must not exist, e.g. `[\"/etc/shadow\", \"/root/.ssh\"]`."),
        "cmd": attr.string_list(doc = "The exact `Cmd`."),
        "entrypoint": attr.string_list(doc = "The exact `Entrypoint`."),
        "env": attr.string_dict(doc = "Environment variables that must have these values (others may exist)."),
        "exposed_ports": attr.string_list(doc = "The exact set of exposed ports; `8080` means `8080/tcp`."),
        "files": attr.string_dict(doc = "Path -> expectation: space-separated `file`, `dir` or `symlink`; `mode=0755`; `owner=uid:gid`; `target=/path` (a symlink's); `sha256=<hex>`. An empty string only asks that the path exists. Example: `{\"/app/bin/hello\": \"file mode=0755 owner=0:0\", \"/bin/sh\": \"symlink target=/bin/busybox\"}`."),
        "image": attr.label(doc = "The `image` (or `image_pull`) to check.", mandatory = True, providers = [ImageInfo]),
        "labels": attr.string_dict(doc = "Config labels that must have these values (others may exist)."),
        "max_layer_size": attr.int(doc = "Budget of every layer as stored (compressed), in bytes; 0: none."),
        "max_layer_uncompressed_size": attr.int(doc = "Budget of every layer's uncompressed tar, in bytes; 0: none."),
        "max_size": attr.int(doc = "Budget of all layers as stored, in bytes; 0: none."),
        "max_uncompressed_size": attr.int(doc = "Budget of all layers uncompressed, in bytes; 0: none."),
        "user": attr.string(doc = "The exact `User`."),
        "workdir": attr.string(doc = "The exact `WorkingDir`."),
        "_launcher": attr.label(default = Label("//rules/private:launcher.sh.tpl"), allow_single_file = True),
        # The test runs where the test action runs: the execution platform.
        "_strata": STRATA_EXEC,
    },
    test = True,
)
