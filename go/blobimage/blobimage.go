// Package blobimage presents an image assembled by strata (manifest, config
// and layer blobs on disk, described by descriptor files) as a
// go-containerregistry v1.Image (from an image files manifest, or from a
// push spec), so go-containerregistry's writers (OCI
// layout, registry push) can consume it.
//
// DiffIDs come from the config, never from decompressing a layer, and a blob
// is opened only when a writer actually needs its bytes.
package blobimage

import (
	"bytes"
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/strata-build/rules_strata/go/spec"
)

// Image is the on-disk form of one built image.
type Image struct {
	rawManifest, rawConfig []byte
	manifest               *v1.Manifest
	blobs                  map[v1.Hash]string // layer digest -> blob path ("" if not downloaded)
	sources                map[v1.Hash]string // layer digest -> repository holding it, for pulled layers
}

// Load reads the image an image files manifest names: its manifest, config
// and layer descriptors. A blob path may be "" for a layer pulled shallowly
// from a registry, whose descriptor names its source repository instead.
func Load(files spec.ImageFiles) (*Image, error) {
	rawManifest, err := os.ReadFile(files.Manifest)
	if err != nil {
		return nil, err
	}
	rawConfig, err := os.ReadFile(files.Config)
	if err != nil {
		return nil, err
	}
	layers := make([]spec.PushLayer, len(files.Layers))
	for i, l := range files.Layers {
		if layers[i].Descriptor, err = spec.ReadDescriptor(l.Descriptor); err != nil {
			return nil, err
		}
		layers[i].Blob = l.Blob
	}
	return New(rawManifest, rawConfig, layers)
}

// FromPush assembles the image of a push spec, resolving blob paths with
// resolve.
func FromPush(p spec.Push, resolve func(string) string) (*Image, error) {
	layers := make([]spec.PushLayer, len(p.Layers))
	for i, l := range p.Layers {
		layers[i] = spec.PushLayer{Descriptor: l.Descriptor, Blob: resolve(l.Blob)}
	}
	return New(p.Manifest, p.Config, layers)
}

// New assembles an Image from its manifest and config bytes and its layers'
// descriptors and blob paths.
func New(rawManifest, rawConfig []byte, layers []spec.PushLayer) (*Image, error) {
	img := &Image{rawManifest: rawManifest, rawConfig: rawConfig, blobs: map[v1.Hash]string{}, sources: map[v1.Hash]string{}}
	var err error
	if img.manifest, err = v1.ParseManifest(bytes.NewReader(rawManifest)); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	for _, l := range layers {
		img.blobs[l.Descriptor.Digest] = l.Blob
		if l.Descriptor.Source != "" {
			img.sources[l.Descriptor.Digest] = l.Descriptor.Source
		}
	}
	for _, l := range img.manifest.Layers {
		if img.blobs[l.Digest] == "" && img.sources[l.Digest] == "" {
			return nil, fmt.Errorf("blobimage: no blob and no source for layer %s", l.Digest)
		}
	}
	return img, nil
}

// RequireBlobs fails unless every layer has a local blob; writers of
// tarballs and layouts need the bytes, push does not.
func (img *Image) RequireBlobs() error {
	for _, l := range img.manifest.Layers {
		if img.blobs[l.Digest] == "" {
			return fmt.Errorf("layer %s of the base image %s was not downloaded: set download_layers = True on its image_pull to build tarball and OCI layout outputs", l.Digest, img.sources[l.Digest])
		}
	}
	return nil
}

// Source is the repository a pulled layer can be fetched from ("" for local layers).
func (img *Image) Source(h v1.Hash) string { return img.sources[h] }

// RawManifest is the manifest blob.
func (img *Image) RawManifest() []byte { return img.rawManifest }

// V1 returns the image as a go-containerregistry v1.Image.
func (img *Image) V1() (v1.Image, error) { return partial.CompressedToImage(core{img}) }

// Manifest is the parsed manifest.
func (img *Image) Manifest() *v1.Manifest { return img.manifest }

// RawConfig is the config blob.
func (img *Image) RawConfig() []byte { return img.rawConfig }

// MediaType is the manifest's media type: its mediaType field, or OCI's
// when the field is empty (it is optional in an OCI manifest).
func (img *Image) MediaType() types.MediaType {
	if img.manifest.MediaType != "" {
		return img.manifest.MediaType
	}
	return types.OCIManifestSchema1
}

// BlobPath is the file holding the layer blob with digest h.
func (img *Image) BlobPath(h v1.Hash) string { return img.blobs[h] }

type core struct{ img *Image }

func (c core) RawConfigFile() ([]byte, error)      { return c.img.rawConfig, nil }
func (c core) RawManifest() ([]byte, error)        { return c.img.rawManifest, nil }
func (c core) MediaType() (types.MediaType, error) { return c.img.MediaType(), nil }

func (c core) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h == c.img.manifest.Config.Digest {
		return configLayer{c.img}, nil
	}
	for i, l := range c.img.manifest.Layers {
		if l.Digest == h {
			cfg, err := v1.ParseConfigFile(bytes.NewReader(c.img.rawConfig))
			if err != nil {
				return nil, err
			}
			return blobLayer{desc: l, diffID: cfg.RootFS.DiffIDs[i], path: c.img.blobs[h]}, nil
		}
	}
	return nil, fmt.Errorf("blobimage: no layer %s", h)
}

type blobLayer struct {
	desc   v1.Descriptor
	diffID v1.Hash
	path   string
}

func (l blobLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l blobLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l blobLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l blobLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l blobLayer) Compressed() (io.ReadCloser, error)  { return os.Open(l.path) }

// configLayer lets writers fetch the config blob by digest like a layer.
type configLayer struct{ img *Image }

func (l configLayer) Digest() (v1.Hash, error) { return l.img.manifest.Config.Digest, nil }
func (l configLayer) Size() (int64, error)     { return l.img.manifest.Config.Size, nil }
func (l configLayer) MediaType() (types.MediaType, error) {
	return l.img.manifest.Config.MediaType, nil
}
func (l configLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.img.rawConfig)), nil
}
