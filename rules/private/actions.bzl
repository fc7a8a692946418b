"""The Starlark side of the wire contract with the strata tool (Go package go/spec).

Every JSON file a rule writes for strata carries `"v": WIRE_VERSION`; strata
refuses other versions and unknown fields. `write_image_files` writes the one
"image files" manifest per image that every action reading an image on disk
takes (`--image-files`), instead of parallel lists of descriptors, blobs and
labels: each layer's descriptor names its own label and media type.
"""

load(":label.bzl", "label_str")

# The version of every file of the contract (go/spec.Version).
WIRE_VERSION = 1

def _path(f, paths):
    return paths[f] if paths != None else f.path

def write_image_files(ctx, name, label, manifest, config, digest, layers, paths = None):
    """Writes NAME.image_files.json: where an image's files are.

    Args:
      ctx: the rule context.
      name: the output's name, without `.image_files.json`.
      label: the image's Label, for messages.
      manifest: the image manifest File.
      config: the image config File.
      digest: the image digest File.
      layers: LayerInfo of every layer, base layers first, in manifest order.
      paths: {File: path} where the reading action sees each file
        (image_test's runfiles paths); None: execution-root paths.

    Returns:
      The File.
    """
    out = ctx.actions.declare_file(name + ".image_files.json")
    ctx.actions.write(out, json.encode({
        "config": _path(config, paths),
        "digest": _path(digest, paths),
        # A layer of a shallowly pulled base has no blob: "", and a writer
        # asked for its bytes says how to download it.
        "layers": [{"blob": _path(layer.blob, paths) if layer.blob else "", "descriptor": _path(layer.descriptor, paths)} for layer in layers],
        "manifest": _path(manifest, paths),
        "target": label_str(label),
        "v": WIRE_VERSION,
    }))
    return out

def image_files_inputs(image, blobs = False):
    """The inputs of an action that reads `image.files`.

    Args:
      image: an ImageInfo.
      blobs: whether the action reads the layer blobs too (a layout or a
        tarball does; a push spec, an inspection or the image action never).

    Returns:
      A list of Files.
    """
    inputs = [image.files, image.manifest, image.config, image.digest] + [layer.descriptor for layer in image.layers]
    if blobs:
        inputs += [layer.blob for layer in image.layers if layer.blob]
    return inputs

def write_image_file(ctx, command, mnemonic, what, output, image, extra_args = []):
    """Runs a strata writer (oci-layout, docker-archive) over an image's blobs.

    Args:
      ctx: the rule context (needs the _strata attribute).
      command: strata subcommand, "oci-layout" or "docker-archive".
      mnemonic: action mnemonic.
      what: what is written, for the progress message.
      output: the File or directory to write.
      image: the ImageInfo (or a struct with its fields) to write.
      extra_args: more arguments for the subcommand.
    """
    args = ctx.actions.args()
    args.add_all([command, "--image-files", image.files, "--out", output.path])
    args.add_all(extra_args)
    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = [args],
        inputs = image_files_inputs(image, blobs = True),
        outputs = [output],
        mnemonic = mnemonic,
        progress_message = "Writing %s %s" % (what, label_str(ctx.label)),
    )

def run_local(ctx, args, inputs, output, mnemonic, progress_message):
    """Runs strata on this machine for a small file a `bazel run` target reads.

    no-remote: with Build without the Bytes, Bazel 4 does not download a run
    target's runfiles that were remote cache hits, while a no-remote action's
    output is always on this machine (its small inputs are fetched for it).
    These actions read no layer blob, so running them here is cheap.

    Args:
      ctx: the rule context (needs the _strata attribute).
      args: the strata command line (an Args).
      inputs: what it reads (never a layer blob).
      output: the File it writes.
      mnemonic: action mnemonic.
      progress_message: what it does, for Bazel's progress lines.
    """
    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = [args],
        inputs = inputs,
        outputs = [output],
        mnemonic = mnemonic,
        progress_message = progress_message,
        execution_requirements = {"no-remote": "1"},
    )

def read_pulled(rctx, path):
    """Reads the pulled.json `strata pull` wrote (go/spec.Pulled).

    Args:
      rctx: the repository context.
      path: the file, relative to the repository.

    Returns:
      The decoded dict.
    """
    info = json.decode(rctx.read(path))
    if info.get("v") != WIRE_VERSION:
        fail("%s: %s has version %r, these rules read version %d: the strata tool comes from another rules_strata release (fix: `bazel sync --only=%s` after updating rules_strata)" % (
            rctx.name,
            path,
            info.get("v"),
            WIRE_VERSION,
            rctx.name,
        ))
    return info

def add_image_files(args, images, blobs = False):
    """Passes `--image-files` of each image (an index's children, in order).

    Args:
      args: the action's Args.
      images: ImageInfo of each image.
      blobs: whether the action reads the layer blobs too.

    Returns:
      The inputs the action needs, a list of Files.
    """
    inputs = []
    for image in images:
        args.add("--image-files", image.files)
        inputs.extend(image_files_inputs(image, blobs = blobs))
    return inputs
