package spec

// Pulled is what `strata pull` tells the image_pull repository rule, in
// pulled.json beside the manifest, config and layer descriptors it wrote:
// the one file of the contract that Go writes for Starlark.
type Pulled struct {
	Header
	Image          string `json:"image"`
	Digest         string `json:"digest"`          // what the user pinned (index or manifest)
	ManifestDigest string `json:"manifest_digest"` // the platform's manifest
	Layers         int    `json:"layers"`
	Blobs          bool   `json:"blobs"` // whether blobs/layer_<i> were downloaded
}

func (p *Pulled) check() error {
	return required("image", p.Image, "digest", p.Digest, "manifest_digest", p.ManifestDigest)
}

// ReadPulled loads a pulled.json.
func ReadPulled(path string) (Pulled, error) { return readAs[Pulled](path, "pull summary") }
