package ocilayout

import v1 "github.com/google/go-containerregistry/pkg/v1"

// WriteIndex creates dir holding the image index ii and every child's blobs
// and manifest, with index.json pointing at ii named tag (so
// `skopeo copy --all oci:DIR:TAG` copies every platform).
func WriteIndex(dir string, ii v1.ImageIndex, tag string) error {
	p, opts, err := create(dir, tag)
	if err != nil {
		return err
	}
	return p.AppendIndex(ii, opts...)
}
