// Package descriptor is the small JSON file every layer action writes beside
// its blob. Image, layout, tarball and push steps read descriptors instead of
// re-reading (or even downloading) layer bytes they do not need.
package descriptor

import (
	"encoding/json"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Layer describes one layer blob: the OCI descriptor fields plus the diffID
// (sha256 of the uncompressed tar) that the image config needs.
type Layer struct {
	MediaType   types.MediaType   `json:"mediaType"`
	Digest      v1.Hash           `json:"digest"`
	Size        int64             `json:"size"`
	DiffID      v1.Hash           `json:"diffID"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Source is the repository ("host/name") a pulled base layer lives in.
	// Such a layer may have no local blob: push mounts or streams it from
	// there instead.
	Source string `json:"source,omitempty"`
}

// OCI returns the descriptor as it appears in an image manifest.
func (l Layer) OCI() v1.Descriptor {
	return v1.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size, Annotations: l.Annotations}
}

// Write stores l at path as indented JSON (humans read these while debugging).
func Write(path string, l Layer) error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Read loads a descriptor written by Write.
func Read(path string) (Layer, error) {
	var l Layer
	b, err := os.ReadFile(path)
	if err != nil {
		return l, err
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("%s: not a layer descriptor: %w", path, err)
	}
	if l.Digest.Algorithm != "sha256" || l.DiffID.Algorithm != "sha256" || l.Size < 0 || l.MediaType == "" {
		return l, fmt.Errorf("%s: incomplete layer descriptor", path)
	}
	return l, nil
}
