// Package ocilayout writes a built image as an OCI image layout directory
// (oci-layout, index.json, blobs/sha256/...), using go-containerregistry's
// layout writer.
package ocilayout

import (
	"os"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/strata-build/rules_strata/go/blobimage"
)

// RefNameAnnotation tags the manifest in index.json, so tools can address it
// as DIR:TAG (e.g. `umoci unpack --image DIR:latest`).
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// Write creates dir (which must not exist or be empty) holding img, named tag.
func Write(dir string, img *blobimage.Image, tag string) error {
	if err := img.RequireBlobs(); err != nil {
		return err
	}
	v1img, err := img.V1()
	if err != nil {
		return err
	}
	p, opts, err := create(dir, tag)
	if err != nil {
		return err
	}
	return p.AppendImage(v1img, opts...)
}

// create makes dir an empty layout and returns it with the options that name
// what is appended to it tag (none for no tag).
func create(dir, tag string) (layout.Path, []layout.Option, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return "", nil, err
	}
	var opts []layout.Option
	if tag != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{RefNameAnnotation: tag}))
	}
	return p, opts, nil
}
