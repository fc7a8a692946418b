"""The `sbom` output group of `image`: an SPDX 2.3 document of what the image holds.

Its actions run only when the group is requested (`--output_groups=sbom`):
an ordinary image build declares them but never runs them, so it gets no
slower.
"""

load(":actions.bzl", "WIRE_VERSION")
load(":label.bzl", "label_str")

def _listing(ctx, index, layer, owner):
    """Declares the StrataLayerListing action of one layer blob.

    Reads the blob, so it is the only SBOM action that sees layer bytes; its
    small output is what the StrataSBOM action reads.
    """
    out = ctx.actions.declare_file("%s.sbom/layer-%d.json" % (ctx.label.name, index))
    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = ["layer-listing", "--blob", layer.blob.path, "--out", out.path, "--target", label_str(ctx.label), "--layer", owner],
        inputs = [layer.blob],
        outputs = [out],
        mnemonic = "StrataLayerListing",
        progress_message = "Listing layer %d of %s for its SBOM" % (index, label_str(ctx.label)),
    )
    return out

def sbom_output_group(ctx, base_target, base, layers, config, digest):
    """Declares the SBOM actions of an image and returns its output group.

    Args:
      ctx: the image rule context (needs the _strata attribute).
      base_target: the `base` Target, or None on scratch.
      base: its ImageInfo, or None.
      layers: LayerInfo of every layer, base layers first, in manifest order.
      config: the image config File (its `created` dates the document).
      digest: the image digest File (the document's namespace derives from it).

    Returns:
      A dict for OutputGroupInfo: `sbom` -> depset of `NAME.spdx.json`.
    """
    base_count = len(base.layers) if base else 0
    spec_layers = []
    inputs = [config, digest]
    for i, layer in enumerate(layers):
        owner = label_str(base_target.label) if i < base_count else label_str(layer.label)
        listing = _listing(ctx, i, layer, owner) if layer.blob else None
        if listing:
            inputs.append(listing)
        inputs.append(layer.descriptor)
        spec_layers.append({
            "descriptor": layer.descriptor.path,
            "from_base": i < base_count,
            "label": owner,
            "listing": listing.path if listing else "",
        })
    if base:
        inputs.append(base.digest)
    spec = {
        "base_digest": base.digest.path if base else "",
        "base_label": label_str(base_target.label) if base else "",
        "config": config.path,
        "digest": digest.path,
        "layers": spec_layers,
        "target": label_str(ctx.label),
        "v": WIRE_VERSION,
    }
    spec_file = ctx.actions.declare_file(ctx.label.name + ".sbom.json")
    ctx.actions.write(spec_file, json.encode(spec))
    out = ctx.actions.declare_file(ctx.label.name + ".spdx.json")
    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = ["sbom", "--spec", spec_file.path, "--out", out.path],
        inputs = [spec_file] + inputs,
        outputs = [out],
        mnemonic = "StrataSBOM",
        progress_message = "Writing the SBOM of %s" % label_str(ctx.label),
    )
    return {"sbom": depset([out])}
