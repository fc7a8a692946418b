package index

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/strata-build/rules_strata/go/ocilayout"
)

// child makes a real random image for os/arch/variant and returns it with
// its Child (exact manifest and config bytes).
func child(t *testing.T, name, os, arch, variant string) (v1.Image, Child) {
	t.Helper()
	img, err := random.Image(64, 2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = os, arch, variant
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	m, _ := img.RawManifest()
	c, _ := img.RawConfigFile()
	return img, Child{Name: name, Manifest: m, Config: c}
}

// amdArm makes the two children most tests index: //:amd (linux/amd64) and
// //:arm (linux/arm64/v8), in that order.
func amdArm(t *testing.T) (amdImg v1.Image, amd Child, armImg v1.Image, arm Child) {
	t.Helper()
	amdImg, amd = child(t, "//:amd", "linux", "amd64", "")
	armImg, arm = child(t, "//:arm", "linux", "arm64", "v8")
	return amdImg, amd, armImg, arm
}

// mustBuild is Build, failing the test on an error.
func mustBuild(t *testing.T, o Options, children ...Child) Result {
	t.Helper()
	r, err := Build(children, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBuildDeterministicOrderedPlatforms(t *testing.T) {
	_, amd, _, arm := amdArm(t)
	r1 := mustBuild(t, Options{}, amd, arm)
	r2 := mustBuild(t, Options{}, amd, arm)
	if !bytes.Equal(r1.Index, r2.Index) || r1.Digest != r2.Digest {
		t.Fatalf("two builds differ:\n%s\n%s", r1.Index, r2.Index)
	}
	sum := sha256.Sum256(r1.Index)
	if want := "sha256:" + hex.EncodeToString(sum[:]); r1.Digest.String() != want {
		t.Errorf("digest %s, sha256 of the bytes is %s", r1.Digest, want)
	}
	got, err := v1.ParseIndexManifest(bytes.NewReader(r1.Index))
	if err != nil {
		t.Fatal(err)
	}
	if got.MediaType != types.OCIImageIndex || got.SchemaVersion != 2 || len(got.Manifests) != 2 {
		t.Fatalf("index: %s", r1.Index)
	}
	for i, want := range []struct {
		c    Child
		plat string
	}{{amd, "linux/amd64"}, {arm, "linux/arm64/v8"}} {
		d := got.Manifests[i]
		h, size, _ := v1.SHA256(bytes.NewReader(want.c.Manifest))
		if d.Digest != h || d.Size != size || d.MediaType != types.OCIManifestSchema1 {
			t.Errorf("entry %d: %+v, want digest %s size %d", i, d, h, size)
		}
		if PlatformString(*d.Platform) != want.plat {
			t.Errorf("entry %d platform %s, want %s", i, PlatformString(*d.Platform), want.plat)
		}
	}
	// Order is the caller's: swapping children changes the index.
	r3 := mustBuild(t, Options{}, arm, amd)
	if r3.Digest == r1.Digest {
		t.Error("order of children ignored")
	}
}

func TestDockerManifestList(t *testing.T) {
	_, amd := child(t, "//:amd", "linux", "amd64", "")
	r := mustBuild(t, Options{Docker: true}, amd)
	if !strings.Contains(string(r.Index), `"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json"`) {
		t.Errorf("not a manifest list: %s", r.Index)
	}
}

func TestRefusals(t *testing.T) {
	_, a := child(t, "//:a", "linux", "amd64", "")
	_, b := child(t, "//:b", "linux", "amd64", "")
	_, noArch := child(t, "//:c", "linux", "", "")
	for name, tc := range map[string]struct {
		children []Child
		want     string
	}{
		"duplicate platform": {[]Child{a, b}, "//:b: has platform linux/amd64, as //:a does"},
		"no architecture":    {[]Child{noArch}, `//:c: config has os "linux", architecture ""`},
		"empty":              {nil, "at least one image"},
	} {
		_, err := Build(tc.children, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", name, err, tc.want)
		}
	}
}

// The layout holds the index with exactly Build's bytes and every child.
func TestLayoutHoldsEveryChild(t *testing.T) {
	amdImg, amd, armImg, arm := amdArm(t)
	r := mustBuild(t, Options{}, amd, arm)
	children := map[v1.Hash]v1.Image{}
	for _, img := range []v1.Image{amdImg, armImg} {
		d, _ := img.Digest()
		children[d] = img
	}
	ii, err := V1(r.Index, children)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := ocilayout.WriteIndex(dir, ii, "latest"); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := p.Bytes(r.Digest)
	if err != nil || !bytes.Equal(raw, r.Index) {
		t.Fatalf("index blob in layout: %v\n%s", err, raw)
	}
	got, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	sub, err := got.ImageIndex(r.Digest)
	if err != nil {
		t.Fatal(err)
	}
	for h := range children {
		img, err := sub.Image(h)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateLayers(img); err != nil {
			t.Errorf("child %s: %v", h, err)
		}
	}
}

func validateLayers(img v1.Image) error {
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range ls {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		rc.Close()
	}
	return nil
}

func TestDescribe(t *testing.T) {
	_, amd, _, arm := amdArm(t)
	r := mustBuild(t, Options{}, amd, arm)
	var ds []Described
	for _, c := range []Child{amd, arm} {
		m, _ := v1.ParseManifest(bytes.NewReader(c.Manifest))
		cf, _ := v1.ParseConfigFile(bytes.NewReader(c.Config))
		ds = append(ds, Described{m, cf})
	}
	var b strings.Builder
	Describe(&b, &r.Parsed, r.Digest.String(), ds)
	out := b.String()
	armDigest := r.Parsed.Manifests[1].Digest.String()
	for _, want := range []string{
		"index digest: " + r.Digest.String(),
		"media type:   application/vnd.oci.image.index.v1+json",
		"linux/arm64/v8   " + armDigest,
		"image digest: " + armDigest,
		"platform:     linux/arm64/v8",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
}
