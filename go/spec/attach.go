package spec

// Attach is NAME.attach.json: the documents image_push attaches to the pushed
// image as OCI referrers, byte for byte as the image's sbom and provenance
// output groups wrote them. A local action writes it into the push target's
// runfiles, for the reason Push is made locally (Build without the Bytes).
type Attach struct {
	Header
	SBOM       []byte `json:"sbom,omitempty"`
	Provenance []byte `json:"provenance,omitempty"`
}

// An image with neither document gets no attach spec at all, so nothing is
// required here.
func (a *Attach) check() error { return nil }

// ReadAttach loads an attach spec.
func ReadAttach(path string) (Attach, error) { return readAs[Attach](path, "attach spec") }
