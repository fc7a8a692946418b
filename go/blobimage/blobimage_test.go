package blobimage_test

import (
	"bytes"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/blobimage/blobimagetest"
)

// TestLoadAndPushSpec: an image read through its image files manifest, and
// through the push spec made from it, is the image that was written (same
// digest, every layer's bytes); a push spec names each layer's label.
func TestLoadAndPushSpec(t *testing.T) {
	img, err := random.Image(512, 3)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	files := blobimagetest.Files(t, img, "")
	p, err := blobimage.PushSpec(files)
	if err != nil {
		t.Fatal(err)
	}
	if p.Digest != want.String() || strings.Join(p.Targets(), ",") != "//test:layer0,//test:layer1,//test:layer2" {
		t.Errorf("push spec: digest %s, targets %v", p.Digest, p.Targets())
	}
	fromFiles, err := blobimage.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	fromPush, err := blobimage.FromPush(p, func(s string) string { return s })
	if err != nil {
		t.Fatal(err)
	}
	for name, bi := range map[string]*blobimage.Image{"image files": fromFiles, "push spec": fromPush} {
		if err := bi.RequireBlobs(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		v, err := bi.V1()
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := v.Digest(); got != want {
			t.Errorf("%s: digest %s, want %s", name, got, want)
		}
		ls, _ := v.Layers()
		orig, _ := img.Layers()
		for i, l := range ls {
			a, b := compressed(t, l), compressed(t, orig[i])
			if !bytes.Equal(a, b) {
				t.Errorf("%s: layer %d bytes differ", name, i)
			}
		}
	}
}

// TestShallowLayer: a layer left in its registry has a source and no blob;
// push can use it, a writer that needs bytes says how to download them, and
// a layer with neither blob nor source is refused.
func TestShallowLayer(t *testing.T) {
	img, _ := random.Image(256, 2)
	files := blobimagetest.Files(t, img, "registry.example/base")
	bi, err := blobimage.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	m := bi.Manifest()
	if bi.Source(m.Layers[0].Digest) != "registry.example/base" || bi.BlobPath(m.Layers[0].Digest) != "" {
		t.Errorf("layer 0: source %q, blob %q", bi.Source(m.Layers[0].Digest), bi.BlobPath(m.Layers[0].Digest))
	}
	if err := bi.RequireBlobs(); err == nil || !strings.Contains(err.Error(), "download_layers = True") {
		t.Errorf("RequireBlobs: %v", err)
	}
	p, _ := blobimage.PushSpec(files)
	p.Layers[0].Descriptor.Source = ""
	if _, err := blobimage.FromPush(p, func(s string) string { return s }); err == nil || !strings.Contains(err.Error(), "no blob and no source") {
		t.Errorf("a layer without blob and source: %v", err)
	}
}

func compressed(t *testing.T, l v1.Layer) []byte {
	t.Helper()
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var b bytes.Buffer
	b.ReadFrom(rc)
	return b.Bytes()
}
