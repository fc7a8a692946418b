"""LayerInfo: one built layer, as blob plus descriptor."""

DOC = """A layer built by `image_layer`.

The descriptor is a small JSON file (mediaType, digest, size, diffID and the
layer's label; see docs/wire_contract.md) written by the same action as the blob. Image, layout and push actions read descriptors and
only take blobs as inputs when they need the bytes.
"""

FIELDS = dict(
    blob = "File: the compressed layer (tar, tar.gz or tar.zst), or None for a layer of a shallowly pulled base, which stays in its registry (its descriptor names the source repository).",
    descriptor = "File: JSON descriptor of the blob (mediaType, digest, size, diffID, and the label of the image_layer that built it, or the source repository of a pulled layer).",
    label = "Label: the target that built the layer, recorded in the image history.",
    inputs = "depset of File: every input of the layer action (its spec and the files it packs), for provenance; unset for a pulled layer.",
)

LayerInfo = provider(doc = DOC, fields = FIELDS)
