package push

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/regclient"
)

// ProbeResult says what one repository holds of an image.
type ProbeResult struct {
	Target       Target
	Manifest     bool            // the manifest is there by digest
	MissingBlobs []v1.Descriptor // when the manifest is not
	StaleTags    []string        // tags absent or pointing elsewhere
}

// Complete reports whether nothing needs pushing.
func (r ProbeResult) Complete() bool { return r.Manifest && len(r.StaleTags) == 0 }

// Probe checks, without writing anything, whether each target already holds
// the image and its tags: the "is it built and pushed already?" question CI
// asks before building, testing and pushing again.
func Probe(ctx context.Context, img *blobimage.Image, digest v1.Hash, targets []Target, r regclient.Retry) ([]ProbeResult, error) {
	return probe(ctx, digest, targets, r, func(repo name.Repository, opts []remote.Option) ([]v1.Descriptor, error) {
		return missingBlobs(img, repo, opts)
	})
}

// probe is Probe and ProbeIndex: for each target, whether it holds the
// manifest (of an image or an index) by digest and its tags; where the
// manifest is absent, missing lists the blobs the repository lacks.
func probe(ctx context.Context, digest v1.Hash, targets []Target, r regclient.Retry, missing func(name.Repository, []remote.Option) ([]v1.Descriptor, error)) ([]ProbeResult, error) {
	access := regclient.NewAccess(hosts(targets)...)
	opts, err := reusing(access.RemoteOptions(ctx, r, 1))
	if err != nil {
		return nil, err
	}
	var out []ProbeResult
	for _, t := range targets {
		// A web server is not "missing the image" (exit 3 would make CI
		// push to it): it is an error.
		if err := access.CheckRegistry(ctx, t.Repository.Registry, r); err != nil {
			return out, fmt.Errorf("%s: %w", t.Repository, err)
		}
		res := ProbeResult{Target: t}
		if d, err := remote.Head(t.Repository.Digest(digest.String()), opts...); err == nil && d.Digest == digest {
			res.Manifest = true
		} else if res.MissingBlobs, err = missing(t.Repository, opts); err != nil {
			return out, err
		}
		for _, tag := range t.Tags {
			if d, err := remote.Head(t.Repository.Tag(tag), opts...); err != nil || d.Digest != digest {
				res.StaleTags = append(res.StaleTags, tag)
			}
		}
		out = append(out, res)
	}
	return out, nil
}
