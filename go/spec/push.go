package spec

// Push is the one small file a push or probe target runs from: the image's
// manifest and config bytes, its digest, and per layer the descriptor and
// the blob's execution-root path.
//
// It exists for Build without the Bytes: Bazel 4 does not download a run
// target's runfiles when they were remote cache hits, so the push target
// writes this file in one tiny local action (whose inputs Bazel must
// download: kilobytes of JSON, never a layer).
type Push struct {
	Header
	Digest   string      `json:"digest"`
	Manifest []byte      `json:"manifest"` // exact bytes
	Config   []byte      `json:"config"`   // exact bytes
	Layers   []PushLayer `json:"layers"`
}

// PushLayer is one layer of a push spec.
type PushLayer struct {
	Descriptor Descriptor `json:"descriptor"`
	Blob       string     `json:"blob"` // execution-root path, or "" for a pulled layer left in its registry
}

func (p *Push) check() error {
	return required("digest", p.Digest, "manifest", string(p.Manifest), "config", string(p.Config))
}

// Targets lists each layer's label to rebuild it with, in manifest order
// ("" for a pulled layer).
func (p Push) Targets() []string {
	out := make([]string, len(p.Layers))
	for i, l := range p.Layers {
		out[i] = l.Descriptor.BuildLabel()
	}
	return out
}

// ReadPush loads a push spec.
func ReadPush(path string) (Push, error) { return readAs[Push](path, "push spec") }

// IndexPush is the push spec of an image index: its exact bytes and digest,
// and one Push per child image, in index order.
type IndexPush struct {
	Header
	Digest   string `json:"index_digest"`
	Index    []byte `json:"index"`
	Children []Push `json:"children"`
}

func (p *IndexPush) check() error {
	if err := required("index_digest", p.Digest, "index", string(p.Index)); err != nil {
		return err
	}
	for i := range p.Children {
		if err := p.Children[i].check(); err != nil {
			return err
		}
	}
	return nil
}

// ReadIndexPush loads an index push spec.
func ReadIndexPush(path string) (IndexPush, error) {
	return readAs[IndexPush](path, "index push spec")
}
