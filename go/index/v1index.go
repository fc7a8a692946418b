package index

import (
	"bytes"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// V1 presents the index bytes raw, with its children, as a
// go-containerregistry v1.ImageIndex whose RawManifest is exactly raw (so
// writers such as layout and remote store the bytes whose digest Build
// computed, never a re-encoding).
func V1(raw []byte, children map[v1.Hash]v1.Image) (v1.ImageIndex, error) {
	m, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	for _, d := range m.Manifests {
		if _, ok := children[d.Digest]; !ok {
			return nil, fmt.Errorf("index: no image for child %s", d.Digest)
		}
	}
	return &rawIndex{raw: raw, m: m, children: children}, nil
}

type rawIndex struct {
	raw      []byte
	m        *v1.IndexManifest
	children map[v1.Hash]v1.Image
}

func (r *rawIndex) MediaType() (types.MediaType, error) { return MediaType(r.m), nil }

// MediaType is the media type of index manifest m: its mediaType field, or
// OCI's when the field is empty (it is optional in an OCI index).
func MediaType(m *v1.IndexManifest) types.MediaType {
	if m.MediaType != "" {
		return m.MediaType
	}
	return types.OCIImageIndex
}

func (r *rawIndex) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(r.raw))
	return h, err
}

func (r *rawIndex) Size() (int64, error)                      { return int64(len(r.raw)), nil }
func (r *rawIndex) IndexManifest() (*v1.IndexManifest, error) { return r.m, nil }
func (r *rawIndex) RawManifest() ([]byte, error)              { return r.raw, nil }

func (r *rawIndex) Image(h v1.Hash) (v1.Image, error) {
	if img, ok := r.children[h]; ok {
		return img, nil
	}
	return nil, fmt.Errorf("index: no child %s", h)
}

func (r *rawIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	return nil, fmt.Errorf("index: child %s is not an index (nested indexes are not supported)", h)
}
