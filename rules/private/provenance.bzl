"""The `provenance` output group of `image`: in-toto SLSA provenance v1.

Like `sbom`, its action runs only when the group is requested
(`--output_groups=provenance`). It takes every declared input of every layer
as an input, to hash it: on request only, so an ordinary build never pays
for that.
"""

load(":label.bzl", "label_str")
load(":stamp.bzl", "stamping")

def _input_line(f):
    # short_path: the same on every machine and output base (no bazel-out/<config>).
    return "%s\t%s" % (f.short_path, f.path)

def provenance_output_group(ctx, base_target, base, layers, digest):
    """Declares the StrataProvenance action and returns its output group.

    Args:
      ctx: the image rule context (needs _strata, stamp and _stamp_flag).
      base_target: the `base` Target, or None on scratch.
      base: its ImageInfo, or None.
      layers: LayerInfo of every layer, base layers first, in manifest order.
      digest: the image digest File (the statement's subject).

    Returns:
      A dict for OutputGroupInfo: `provenance` -> depset of `NAME.provenance.json`.
    """
    out = ctx.actions.declare_file(ctx.label.name + ".provenance.json")
    args = ctx.actions.args()
    args.set_param_file_format("multiline")
    args.use_param_file("--params=%s", use_always = True)
    args.add("--target", label_str(ctx.label))
    args.add("--digest", digest)
    args.add("--out", out)
    direct = [digest]
    transitive = []
    if base:
        args.add("--base-label", label_str(base_target.label))
        args.add("--base-digest", base.digest)
        direct.append(base.digest)

    # Both status files, only when stamping: an unstamped statement is the
    # same bytes on every machine, and --stamp alone changes no action key.
    if stamping(ctx):
        for f in [ctx.info_file, ctx.version_file]:
            args.add("--status", f)
            direct.append(f)
    base_count = len(base.layers) if base else 0
    for i, layer in enumerate(layers):
        args.add("--layer", label_str(base_target.label) if i < base_count else label_str(layer.label))
        args.add("--layer-descriptor", layer.descriptor)
        direct.append(layer.descriptor)
        inputs = getattr(layer, "inputs", None)
        if inputs and i >= base_count:
            # A base's layers are covered by the base digest; their inputs
            # belong to the base's own provenance.
            # Tree artifacts go as directories: the tool walks them as the
            # layer action does, keeping the symlinks their producer made.
            args.add_all(inputs, before_each = "--input", map_each = _input_line, expand_directories = False)
            transitive.append(inputs)
    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = ["provenance", args],
        inputs = depset(direct, transitive = transitive),
        outputs = [out],
        mnemonic = "StrataProvenance",
        progress_message = "Writing the provenance of %s" % label_str(ctx.label),
    )
    return {"provenance": depset([out])}
