package push

import (
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/regclient"
)

// missingBlobs lists the config and layer blobs repo lacks: one HEAD of each,
// made by go-containerregistry with the options (and so the reused puller's
// authenticated transport) of the push or probe itself.
func missingBlobs(img *blobimage.Image, repo name.Repository, opts []remote.Option) ([]v1.Descriptor, error) {
	m := img.Manifest()
	var missing []v1.Descriptor
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		l, err := remote.Layer(repo.Digest(d.Digest.String()), opts...)
		if err != nil {
			return nil, err
		}
		// Size is a HEAD of the blob; a 404 is a transport.Error.
		if _, err := l.Size(); regclient.NotFound(err) {
			missing = append(missing, d)
		} else if err != nil {
			return nil, err
		}
	}
	return missing, nil
}
