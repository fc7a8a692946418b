package push

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/spec"
	"github.com/strata-build/rules_strata/go/usererr"
)

// Fetch says where a push finds the blobs a --remote_download_minimal build
// left remote (see Fetchers). A probe reads no blob and passes none.
type Fetch struct {
	RemoteCache string // as Fetchers' cacheURL
	Rebuild     bool
}

// LoadImage reads the push spec of an image (written by strata push-spec)
// and the image it names, its blobs found through ExecPath. It returns the
// layers' targets too, in manifest order, for Fetchers. target labels the
// push target, for the error when the image cannot be read.
func LoadImage(target, path string) (img *blobimage.Image, digest v1.Hash, layerTargets []string, err error) {
	s, err := spec.ReadPush(path)
	if err != nil {
		return nil, digest, nil, err
	}
	if img, err = blobimage.FromPush(s, ExecPath); err != nil {
		return nil, digest, nil, usererr.New(target, "", fmt.Sprintf("cannot read the image in push spec %s: %v", path, err),
			"the push spec is written by the push target's build: rebuild it (bazel build TARGET); never edit it by hand")
	}
	digest, err = v1.NewHash(s.Digest)
	return img, digest, s.Targets(), err
}

// LoadIndex reads the push spec of an index (written by strata
// index-push-spec): the index's exact bytes and digest, and every child
// image, with its blobs' fetchers unless fetch is nil. Call close when the
// push is done, also after an error.
func LoadIndex(path string, fetch *Fetch) (idx Index, close func(), err error) {
	var closers []func()
	close = func() {
		for _, c := range closers {
			c()
		}
	}
	s, err := spec.ReadIndexPush(path)
	if err != nil {
		return idx, close, err
	}
	idx.Raw = s.Index
	if idx.Digest, err = v1.NewHash(s.Digest); err != nil {
		return idx, close, err
	}
	for _, cs := range s.Children {
		img, err := blobimage.FromPush(cs, ExecPath)
		if err != nil {
			return idx, close, err
		}
		c := IndexChild{Image: img}
		if c.Digest, err = v1.NewHash(cs.Digest); err != nil {
			return idx, close, err
		}
		if fetch != nil {
			f, cl, err := Fetchers(img, fetch.RemoteCache, cs.Targets(), fetch.Rebuild)
			if err != nil {
				return idx, close, err
			}
			c.Fetchers = f
			closers = append(closers, cl)
		}
		idx.Children = append(idx.Children, c)
	}
	return idx, close, nil
}
