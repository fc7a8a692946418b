"""ImageInfo: one built image (manifest, config, digest and its layers)."""

DOC = """An image built by `image`, usable as the `base` of another `image`."""

FIELDS = dict(
    manifest = "File: the image manifest JSON.",
    config = "File: the image config JSON.",
    digest = "File: the manifest digest, `sha256:<hex>`.",
    layers = "list of LayerInfo: every layer, base layers first, in manifest order. A layer of a shallowly pulled base has `blob = None`.",
    tarball = "File: the docker-archive (`docker load`) of the image: the `tarball` output group. `.load` writes the same bytes at run time instead of reading it.",
    files = "File: the image files manifest (`NAME.image_files.json`, go/spec.ImageFiles): the paths of the manifest, config, digest and every layer's descriptor and blob, which the actions reading the image on disk take instead of lists of flags.",
    repo_tags = "list of string: the `repo:tag` names the tarball records; `.load` gives them to the archive it streams and to podman through containers-storage.",
)

ImageInfo = provider(doc = DOC, fields = FIELDS)
