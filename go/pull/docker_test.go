package pull_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/strata-build/rules_strata/go/image"
	"github.com/strata-build/rules_strata/go/pull"
	"github.com/strata-build/rules_strata/go/regclient/registrytest"
	"github.com/strata-build/rules_strata/go/usererr"
)

// pullAndBuild pulls img from an in-process registry and assembles an image
// on it, as image_pull and image do.
func pullAndBuild(t *testing.T, img v1.Image) (image.Result, error) {
	t.Helper()
	srv := registrytest.Serve(t)
	d := registrytest.Push(t, host(srv)+"/docker:1", img)
	out := t.TempDir()
	if _, err := pull.Pull(context.Background(), pull.Request{Name: "docker", Image: host(srv) + "/docker", Digest: d.String(), Platform: amd64, Out: out}, retry); err != nil {
		t.Fatal(err)
	}
	return image.Build(image.Spec{Target: "//:app", BaseManifest: filepath.Join(out, "manifest.json"), BaseConfig: filepath.Join(out, "config.json")})
}

// TestDockerBase: go-containerregistry's random images have Docker schema 2
// media types, as most public bases do. The pulled base keeps them (its
// digest is the pinned one); an image on it is OCI throughout, with the
// base's layer digests unchanged.
func TestDockerBase(t *testing.T) {
	base, _ := random.Image(512, 2)
	if mt, _ := base.MediaType(); mt != types.DockerManifestSchema2 {
		t.Fatalf("fixture is %s, want a Docker manifest", mt)
	}
	r, err := pullAndBuild(t, base)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(r.Manifest), "vnd.docker") {
		t.Fatalf("Docker media types left in %s", r.Manifest)
	}
	m, _ := v1.ParseManifest(strings.NewReader(string(r.Manifest)))
	want, _ := base.Manifest()
	for i, l := range m.Layers {
		if l.MediaType != types.OCILayer || l.Digest != want.Layers[i].Digest || l.Size != want.Layers[i].Size {
			t.Errorf("layer %d: %+v, want OCI type with digest %s", i, l, want.Layers[i].Digest)
		}
	}
}

// TestForeignLayerRefused: a base with a non-distributable layer is refused
// with a message naming the layer, not turned into a manifest nobody can push.
func TestForeignLayerRefused(t *testing.T) {
	l, _ := random.Layer(256, types.DockerForeignLayer)
	base, err := mutate.Append(empty.Image, mutate.Addendum{Layer: l, URLs: []string{"https://example.invalid/layer"}, MediaType: types.DockerForeignLayer})
	if err != nil {
		t.Fatal(err)
	}
	_, err = pullAndBuild(t, base)
	ue, ok := usererr.As(err)
	if !ok || !strings.Contains(ue.Problem, "non-distributable") {
		t.Fatalf("got %v, want a refusal of the foreign layer", err)
	}
	d, _ := l.Digest()
	if ue.Path != d.String() {
		t.Errorf("the error names %q, want the layer digest %s", ue.Path, d)
	}
}
