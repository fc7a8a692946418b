// Package registrytest serves in-process registries (go-containerregistry's
// pkg/registry, its request log silenced) and fills them with random images
// and indexes, for the tests of the packages that speak to registries (push,
// pull, pin, attach, regclient and the strata CLI): one fixture instead of a
// copy per package. Test code only: every helper fails the test on an error,
// so a fixture never hands a test half an image.
package registrytest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// New returns a registry handler that logs nothing, with opts (such as
// registry.WithReferrersSupport), for a test to wrap or serve.
func New(opts ...registry.Option) http.Handler {
	return registry.New(append([]registry.Option{registry.Logger(log.New(io.Discard, "", 0))}, opts...)...)
}

// Serve serves a registry New(opts...) until the test ends.
func Serve(t testing.TB, opts ...registry.Option) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(opts...))
	t.Cleanup(srv.Close)
	return srv
}

// Host is the host:port of srv, as a reference names its registry.
func Host(srv *httptest.Server) string { return strings.TrimPrefix(srv.URL, "http://") }

// Image is a random image of layers layers of size bytes each.
func Image(t testing.TB, size, layers int64) v1.Image {
	t.Helper()
	img, err := random.Image(size, layers)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Index is an index of one random one-layer image per platform, in order.
func Index(t testing.TB, platforms ...v1.Platform) v1.ImageIndex {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	for i := range platforms {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: Image(t, 64, 1), Descriptor: v1.Descriptor{Platform: &platforms[i]}})
	}
	return idx
}

// Push writes img as ref (repo:tag or repo@digest) and returns its digest.
func Push(t testing.TB, ref string, img v1.Image, opts ...remote.Option) v1.Hash {
	t.Helper()
	r := parse(t, ref)
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatal(err)
	}
	return digest(t, img)
}

// PushIndex writes idx as ref and returns its digest.
func PushIndex(t testing.TB, ref string, idx v1.ImageIndex) v1.Hash {
	t.Helper()
	if err := remote.WriteIndex(parse(t, ref), idx); err != nil {
		t.Fatal(err)
	}
	return digest(t, idx)
}

func parse(t testing.TB, ref string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func digest(t testing.TB, x interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	d, err := x.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
