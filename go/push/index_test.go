package push_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"sort"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/strata-build/rules_strata/go/index"
	"github.com/strata-build/rules_strata/go/push"
	"github.com/strata-build/rules_strata/go/regclient/registrytest"
)

// platformChild writes a random image for linux/arch as Bazel leaves it on
// disk and returns it as an index child.
func platformChild(t *testing.T, arch string) push.IndexChild {
	t.Helper()
	img := registrytest.Image(t, 1024, 2)
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	img, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	bi, digest := writeOnDisk(t, img, "")
	return push.IndexChild{Image: bi, Digest: digest}
}

func buildIndex(t *testing.T, children ...push.IndexChild) push.Index {
	t.Helper()
	var cs []index.Child
	for _, c := range children {
		cs = append(cs, index.Child{Name: c.Digest.String(), Manifest: c.Image.RawManifest(), Config: c.Image.RawConfig()})
	}
	r, err := index.Build(cs, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return push.Index{Raw: r.Index, Digest: r.Digest, Children: children}
}

func TestPushIndexChildrenFirstTagsOnIndexRepushOneRequest(t *testing.T) {
	var c counter
	srv := httptest.NewServer(c.wrap(registrytest.New()))
	defer srv.Close()
	amd, arm := platformChild(t, "amd64"), platformChild(t, "arm64")
	idx := buildIndex(t, amd, arm)
	targets := []push.Target{{Repository: repo(t, srv, "org-a/app")}, {Repository: repo(t, srv, "org-b/app")}}
	targets[0].Tags = []string{"v1"}
	res, err := push.PushIndex(context.Background(), idx, targets, false, push.Options{Retry: fastRetry, Jobs: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Reference.DigestStr() != idx.Digest.String() {
		t.Fatalf("results %+v", res)
	}
	// Children first, the index last: the index PUT is the last manifest PUT
	// in each repository.
	for _, r := range []string{"org-a", "org-b"} {
		var puts []string
		for _, q := range c.reqs {
			if bytes.HasPrefix([]byte(q), []byte("PUT /v2/"+r+"/app/manifests/")) {
				puts = append(puts, q)
			}
		}
		if len(puts) < 3 || puts[2] != "PUT /v2/"+r+"/app/manifests/"+idx.Digest.String()+"?" {
			t.Errorf("%s: manifest PUTs %q; want both children, then the index by digest", r, puts)
		}
	}
	ref := targets[0].Repository.Tag("v1")
	ii, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := ii.Digest(); d != idx.Digest {
		t.Fatalf("tag v1 is %s, want the index %s", d, idx.Digest)
	}
	raw, _ := ii.RawManifest()
	if !bytes.Equal(raw, idx.Raw) {
		t.Errorf("registry serves other index bytes:\n%s\n%s", raw, idx.Raw)
	}
	// A platform-aware client picks the arm64 child.
	img, err := remote.Image(ref, remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64"}))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := img.Digest(); d != arm.Digest {
		t.Errorf("linux/arm64 resolves to %s, want %s", d, arm.Digest)
	}
	verify(t, targets[1].Repository.Digest(amd.Digest.String()), amd.Digest)
	tags, err := remote.List(targets[0].Repository)
	if err != nil || len(tags) != 1 || tags[0] != "v1" {
		t.Errorf("tags %q (%v); want only v1, on the index", tags, err)
	}

	c.reset()
	res, err = push.PushIndex(context.Background(), idx, []push.Target{{Repository: targets[0].Repository}, targets[1]}, false, push.Options{Retry: fastRetry, Jobs: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !r.UpToDate || r.Uploaded != 0 {
			t.Errorf("re-push %s: %+v", r.Reference, r)
		}
	}
	// Besides the transport's "GET /v2/" ping, one HEAD of the index per
	// repository, and nothing else.
	if n := len(c.reqs) - c.count("GET", "/v2/?"); n != 2 || c.count("HEAD", "/manifests/"+idx.Digest.String()) != 2 {
		t.Errorf("re-push of an unchanged index made %d requests, want one per repository (2): %q", n, c.reqs)
	}
}

func TestPushIndexPlatformTags(t *testing.T) {
	srv := registrytest.Serve(t)
	amd, arm := platformChild(t, "amd64"), platformChild(t, "arm64")
	idx := buildIndex(t, amd, arm)
	r := repo(t, srv, "app")
	if _, err := push.PushIndex(context.Background(), idx, []push.Target{{Repository: r, Tags: []string{"1.2"}}}, true, push.Options{Retry: fastRetry}); err != nil {
		t.Fatal(err)
	}
	tags, _ := remote.List(r)
	sort.Strings(tags)
	if fmt.Sprint(tags) != "[1.2 1.2-amd64 1.2-arm64]" {
		t.Errorf("tags %q", tags)
	}
	verify(t, r.Tag("1.2-arm64"), arm.Digest)
	verify(t, r.Tag("1.2-amd64"), amd.Digest)
}

func TestProbeIndex(t *testing.T) {
	srv := registrytest.Serve(t)
	idx := buildIndex(t, platformChild(t, "amd64"), platformChild(t, "arm64"))
	targets := []push.Target{{Repository: repo(t, srv, "app"), Tags: []string{"v1"}}}
	res, err := push.ProbeIndex(context.Background(), idx, targets, fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Complete() || len(res[0].MissingBlobs) != 6 {
		t.Errorf("before push: %+v; want incomplete, 6 blobs missing (2 configs + 4 layers)", res[0])
	}
	if _, err := push.PushIndex(context.Background(), idx, targets, false, push.Options{Retry: fastRetry}); err != nil {
		t.Fatal(err)
	}
	res, _ = push.ProbeIndex(context.Background(), idx, targets, fastRetry)
	if !res[0].Complete() {
		t.Errorf("after push: %+v", res[0])
	}
}

func TestPushIndexDryRunWritesNothing(t *testing.T) {
	var c counter
	srv := httptest.NewServer(c.wrap(registrytest.New()))
	defer srv.Close()
	idx := buildIndex(t, platformChild(t, "amd64"), platformChild(t, "arm64"))
	targets := []push.Target{{Repository: repo(t, srv, "app"), Tags: []string{"v1"}}}
	res, err := push.PushIndex(context.Background(), idx, targets, false, push.Options{Retry: fastRetry, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := c.count("POST", "") + c.count("PATCH", "") + c.count("PUT", ""); n != 0 {
		t.Errorf("dry run wrote %d times: %q", n, c.reqs)
	}
	if len(res[0].Plan) != 6 || fmt.Sprint(res[0].TagsMoved) != "[v1]" {
		t.Errorf("dry run: would write %d blobs, tags %q; want 6 (2 configs, 4 layers) and [v1]", len(res[0].Plan), res[0].TagsMoved)
	}
}
