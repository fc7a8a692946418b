package ocilayout

import (
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// WriteIndex creates dir holding the image index ii and every child's blobs
// and manifest, with index.json pointing at ii named tag (so
// `skopeo copy --all oci:DIR:TAG` copies every platform).
func WriteIndex(dir string, ii v1.ImageIndex, tag string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	var opts []layout.Option
	if tag != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{RefNameAnnotation: tag}))
	}
	return p.AppendIndex(ii, opts...)
}
