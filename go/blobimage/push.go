package blobimage

import (
	"os"
	"strings"

	"github.com/strata-build/rules_strata/go/spec"
)

// PushSpec reads the image an image files manifest names into a push spec:
// manifest and config as exact bytes, the digest, and every layer's
// descriptor beside its blob path (never its bytes).
func PushSpec(files spec.ImageFiles) (spec.Push, error) {
	p := spec.Push{Header: spec.Header{V: spec.Version}}
	var err error
	if p.Manifest, err = os.ReadFile(files.Manifest); err != nil {
		return p, err
	}
	if p.Config, err = os.ReadFile(files.Config); err != nil {
		return p, err
	}
	d, err := os.ReadFile(files.Digest)
	if err != nil {
		return p, err
	}
	p.Digest = strings.TrimSpace(string(d))
	for _, l := range files.Layers {
		desc, err := spec.ReadDescriptor(l.Descriptor)
		if err != nil {
			return p, err
		}
		p.Layers = append(p.Layers, spec.PushLayer{Descriptor: desc, Blob: l.Blob})
	}
	return p, nil
}
