package spec

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Descriptor is the small file every layer action writes beside its blob
// (and image_pull beside each pulled layer). Image, layout, tarball and push
// steps read descriptors instead of re-reading (or even downloading) layer
// bytes they do not need.
type Descriptor struct {
	Header
	// MediaType, Digest and Size are the OCI descriptor fields of the blob;
	// MediaType says its compression (see go/compress).
	MediaType types.MediaType `json:"mediaType"`
	Digest    v1.Hash         `json:"digest"`
	Size      int64           `json:"size"`
	// DiffID is the sha256 of the uncompressed tar, which the config needs.
	DiffID      v1.Hash           `json:"diffID"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Source is the repository ("host/name") a pulled base layer lives in.
	// Such a layer may have no local blob: push mounts or streams it from
	// there instead.
	Source string `json:"source,omitempty"`
	// Label is the image_layer that built the blob, as the image history
	// records it (`//pkg:name`, the same on every Bazel version); "" for a
	// pulled layer.
	Label string `json:"label,omitempty"`
	// BazelLabel is the label as this Bazel spells it, to hand back to
	// `bazel build` (`@@//pkg:name` under bzlmod); "" when it is Label.
	BazelLabel string `json:"bazel_label,omitempty"`
}

// OCI returns the descriptor as it appears in an image manifest.
func (d Descriptor) OCI() v1.Descriptor {
	return v1.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, Annotations: d.Annotations}
}

// BuildLabel is the label that rebuilds the blob with `bazel build`, or ""
// for a pulled layer.
func (d Descriptor) BuildLabel() string {
	if d.BazelLabel != "" {
		return d.BazelLabel
	}
	return d.Label
}

func (d *Descriptor) check() error {
	switch {
	case d.MediaType == "":
		return required("mediaType", "")
	case d.Digest.Algorithm != "sha256" || d.DiffID.Algorithm != "sha256":
		if err := required("digest", d.Digest.Algorithm, "diffID", d.DiffID.Algorithm); err != nil {
			return err
		}
		return fmt.Errorf("digest %s and diffID %s must be sha256", d.Digest, d.DiffID)
	case d.Size < 0:
		return fmt.Errorf("size %d is negative", d.Size)
	case d.Source == "":
		return required("label", d.Label) // a built layer has a label, a pulled one a source
	}
	return nil
}

// ReadDescriptor loads a descriptor file.
func ReadDescriptor(path string) (Descriptor, error) {
	return readAs[Descriptor](path, "layer descriptor")
}
