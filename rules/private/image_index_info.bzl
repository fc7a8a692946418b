"""ImageIndexInfo: one built multi-arch image index and its child images."""

DOC = """An image index built by `image_index`: what its `.push` and `.probe` targets read."""

FIELDS = dict(
    index = "File: the index JSON (an OCI image index, or a Docker manifest list).",
    digest = "File: the index digest, `sha256:<hex>`.",
    platforms = "File: each child's platform, `os/arch[/variant]`, one per line in index order.",
    images = "list of ImageInfo: the child images, in index order.",
    image_labels = "list of Label: the target of each child image, in index order.",
)

ImageIndexInfo = provider(doc = DOC, fields = FIELDS)
