package spec

// SBOM is what the image rule's sbom output group asks for: paths of files
// built earlier in the same build.
type SBOM struct {
	Header
	Target     string      `json:"target"`
	Digest     string      `json:"digest"` // file holding the image digest
	Config     string      `json:"config"` // the image config JSON
	BaseLabel  string      `json:"base_label"`
	BaseDigest string      `json:"base_digest"` // file; "" on scratch
	Layers     []SBOMLayer `json:"layers"`
}

// SBOMLayer is one layer of an SBOM spec, in manifest order.
type SBOMLayer struct {
	Label      string `json:"label"` // the layer's target, or the base's for a base layer
	Descriptor string `json:"descriptor"`
	Listing    string `json:"listing"` // "" for a layer without a blob
	FromBase   bool   `json:"from_base"`
}

func (s *SBOM) check() error {
	return required("target", s.Target, "digest", s.Digest, "config", s.Config)
}

// ReadSBOM loads an SBOM spec.
func ReadSBOM(path string) (SBOM, error) { return readAs[SBOM](path, "sbom spec") }
