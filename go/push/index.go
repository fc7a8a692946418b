package push

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/index"
	"github.com/strata-build/rules_strata/go/regclient"
)

// Index is a built image index: its exact bytes, digest and child images.
type Index struct {
	Raw      []byte
	Digest   v1.Hash
	Children []IndexChild // in index order
}

// IndexChild is one image of an index.
type IndexChild struct {
	Image  *blobimage.Image
	Digest v1.Hash
	// Fetchers supply this child's blobs that are not on this machine
	// (see Options.Fetchers).
	Fetchers []Fetcher
}

// PlatformTag is the per-platform tag of a child, "{tag}-{arch}{variant}"
// (e.g. 1.2-amd64, 1.2-arm64, 1.2-armv7), for clients that cannot read an
// index yet.
func PlatformTag(tag string, p v1.Platform) string {
	return tag + "-" + p.Architecture + p.Variant
}

// PushIndex uploads idx to every target: per repository, every child's blobs
// and manifest first, the index last, then the targets' tags, on the index
// only (and, with platformTags, PlatformTag of each on its child). A
// repository that already holds the index costs one request, plus one per
// tag.
func PushIndex(ctx context.Context, idx Index, targets []Target, platformTags bool, o Options) ([]Result, error) {
	if err := o.Retry.Validate(); err != nil {
		return nil, err
	}
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(idx.Raw))
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	if len(im.Manifests) != len(idx.Children) {
		return nil, fmt.Errorf("index lists %d manifests, the spec has %d children", len(im.Manifests), len(idx.Children))
	}
	access, err := checkedAccess(ctx, targets, o.Retry)
	if err != nil {
		return nil, err
	}
	opts, err := reusing(access.RemoteOptions(ctx, o.Retry, o.Jobs))
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(targets))
	var need []Target // repositories without the index
	for i, t := range targets {
		results[i].Reference = t.Repository.Digest(idx.Digest.String())
		if d, err := remote.Head(results[i].Reference, opts...); err == nil && d.Digest == idx.Digest {
			results[i].UpToDate = true
			fmt.Fprintf(logw, "%s: index already present\n", t.Repository)
			if !platformTags {
				continue
			}
		}
		need = append(need, t)
	}
	for ci, c := range idx.Children {
		if c.Digest != im.Manifests[ci].Digest {
			return results, fmt.Errorf("child %d is %s, the index lists %s", ci, c.Digest, im.Manifests[ci].Digest)
		}
		childTargets := make([]Target, len(need))
		for i, t := range need {
			childTargets[i] = Target{Repository: t.Repository}
			if platformTags && im.Manifests[ci].Platform != nil {
				for _, tag := range t.Tags {
					childTargets[i].Tags = append(childTargets[i].Tags, PlatformTag(tag, *im.Manifests[ci].Platform))
				}
			}
		}
		co := o
		co.Fetchers = c.Fetchers
		rs, err := Push(ctx, c.Image, c.Digest, childTargets, co)
		if err != nil {
			return results, fmt.Errorf("child %s: %w", c.Digest, err)
		}
		for _, r := range rs {
			for i := range results {
				if results[i].Reference.Context() == r.Reference.Context() {
					results[i].Uploaded += r.Uploaded
					results[i].Mounted += r.Mounted
					results[i].Present += r.Present
					results[i].Bytes += r.Bytes
					results[i].Plan = append(results[i].Plan, r.Plan...)
					results[i].TagsMoved = append(results[i].TagsMoved, r.TagsMoved...)
				}
			}
		}
	}
	raw := rawIndex{idx.Raw, index.MediaType(im)}
	for i, t := range targets {
		ref := results[i].Reference
		if !results[i].UpToDate && !o.DryRun {
			if err := remote.Put(ref, raw, opts...); err != nil {
				return results, fmt.Errorf("%s: putting index: %w", t.Repository, err)
			}
			if d, err := remote.Head(ref, opts...); err != nil || d.Digest != idx.Digest {
				return results, fmt.Errorf("%s: registry does not serve the index it accepted as %s (%v)", t.Repository, idx.Digest, err)
			}
		}
		for _, tag := range t.Tags {
			if d, err := remote.Head(t.Repository.Tag(tag), opts...); err == nil && d.Digest == idx.Digest {
				continue
			}
			if !o.DryRun {
				if err := remote.Put(t.Repository.Tag(tag), raw, opts...); err != nil {
					return results, fmt.Errorf("%s: tagging %s: %w", t.Repository, tag, err)
				}
			}
			results[i].TagsMoved = append(results[i].TagsMoved, tag)
		}
	}
	return results, nil
}

// ProbeIndex checks, writing nothing, whether each target holds the index
// and its tags; where the index is absent it lists the children's missing
// blobs.
func ProbeIndex(ctx context.Context, idx Index, targets []Target, r regclient.Retry) ([]ProbeResult, error) {
	return probe(ctx, idx.Digest, targets, r, func(repo name.Repository, opts []remote.Option) ([]v1.Descriptor, error) {
		var all []v1.Descriptor
		for _, c := range idx.Children {
			missing, err := missingBlobs(c.Image, repo, opts)
			if err != nil {
				return nil, err
			}
			all = append(all, missing...)
		}
		return all, nil
	})
}

// rawIndex is the index as remote.Put wants it: exactly its bytes.
type rawIndex struct {
	raw []byte
	mt  types.MediaType
}

func (r rawIndex) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawIndex) MediaType() (types.MediaType, error) { return r.mt, nil }
