package spec

// ImageFiles is where one built image's files are: the "image files"
// manifest Starlark writes once per image (NAME.image_files.json), which
// every action that reads the image on disk takes instead of parallel lists
// of flags (oci-layout, tarball, describe, push-spec, image-test, and per
// child index-layout, index-push-spec, inspect-index). The index action
// itself takes the children's manifests and configs only, as flags, so
// that they stay its only inputs.
type ImageFiles struct {
	Header
	Target   string `json:"target"`   // the image (or image_pull) label, for messages
	Manifest string `json:"manifest"` // the manifest JSON
	Config   string `json:"config"`   // the config JSON
	Digest   string `json:"digest"`   // the file holding the manifest digest
	// Layers are every layer, base layers first, in manifest order.
	Layers []LayerFiles `json:"layers"`
}

// LayerFiles is one layer of ImageFiles: its descriptor (which names the
// layer's label and media type) and its blob.
type LayerFiles struct {
	Descriptor string `json:"descriptor"`
	// Blob is "" for a layer of a shallowly pulled base, which stays in its
	// registry; writers that need its bytes say how to download it.
	Blob string `json:"blob"`
}

func (f *ImageFiles) check() error {
	for _, l := range f.Layers {
		if err := required("layers[].descriptor", l.Descriptor); err != nil {
			return err
		}
	}
	return required("manifest", f.Manifest, "config", f.Config, "digest", f.Digest)
}

// ReadImageFiles loads an image files manifest.
func ReadImageFiles(path string) (ImageFiles, error) {
	return readAs[ImageFiles](path, "image files manifest")
}
