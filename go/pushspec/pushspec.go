// Package pushspec is the one small file a push or probe target runs from:
// the image's manifest and config bytes, its digest, and per layer the
// descriptor, the blob's execution-root path and the target that builds it.
//
// It exists for Build without the Bytes: Bazel 4 does not download a run
// target's runfiles when they were remote cache hits, so the push target
// writes this file in one tiny local action (whose inputs Bazel must
// download: kilobytes of JSON, never a layer).
package pushspec

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/descriptor"
)

// Spec is the file's content. Manifest and Config are kept as exact bytes.
type Spec struct {
	Digest   string  `json:"digest"`
	Manifest []byte  `json:"manifest"`
	Config   []byte  `json:"config"`
	Layers   []Layer `json:"layers"`
}

// Layer is one layer of the image.
type Layer struct {
	Descriptor descriptor.Layer `json:"descriptor"`
	Blob       string           `json:"blob"`   // execution-root path, or "" for a pulled layer left in its registry
	Target     string           `json:"target"` // label of the image_layer that builds it
}

// Write stores s at path.
func Write(path string, s Spec) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Read loads a spec written by Write.
func Read(path string) (Spec, error) {
	var s Spec
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Image assembles the image, resolving blob paths with resolve.
func (s Spec) Image(resolve func(string) string) (*blobimage.Image, error) {
	descs := make([]descriptor.Layer, len(s.Layers))
	blobs := make([]string, len(s.Layers))
	for i, l := range s.Layers {
		descs[i], blobs[i] = l.Descriptor, resolve(l.Blob)
	}
	return blobimage.New(s.Manifest, s.Config, descs, blobs)
}

// Targets lists each layer's target, in manifest order.
func (s Spec) Targets() []string {
	out := make([]string, len(s.Layers))
	for i, l := range s.Layers {
		out[i] = l.Target
	}
	return out
}
