package blobimage_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/blobimage/blobimagetest"
	"github.com/strata-build/rules_strata/go/spec"
)

// fixture is a random image written the way Bazel's outputs look: manifest,
// config, and a descriptor + blob per layer.
type fixture struct {
	want                 v1.Image
	manifest, config     string
	descriptors, blobs   []string
	layerDigests, diffID []v1.Hash
}

func newFixture(t *testing.T, layers int) *fixture {
	t.Helper()
	img, err := random.Image(1024, int64(layers))
	if err != nil {
		t.Fatal(err)
	}
	files := blobimagetest.Files(t, img, "")
	f := &fixture{want: img, manifest: files.Manifest, config: files.Config}
	ls, _ := img.Layers()
	for i, l := range ls {
		d, _ := l.Digest()
		diff, _ := l.DiffID()
		f.descriptors, f.blobs = append(f.descriptors, files.Layers[i].Descriptor), append(f.blobs, files.Layers[i].Blob)
		f.layerDigests, f.diffID = append(f.layerDigests, d), append(f.diffID, diff)
	}
	return f
}

// load reads the fixture through an image files manifest, as every verb does.
func load(manifest, config string, descriptors, blobs []string) (*blobimage.Image, error) {
	files := spec.ImageFiles{Target: "//test:image", Manifest: manifest, Config: config}
	for i, d := range descriptors {
		files.Layers = append(files.Layers, spec.LayerFiles{Descriptor: d, Blob: blobs[i]})
	}
	return blobimage.Load(files)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestV1IsTheImageOnDisk: go-containerregistry's validator reads every blob
// of the loaded image and checks digests, sizes and diffIDs; the digest is
// the random image's.
func TestV1IsTheImageOnDisk(t *testing.T) {
	f := newFixture(t, 3)
	img, err := load(f.manifest, f.config, f.descriptors, f.blobs)
	must(t, err)
	must(t, img.RequireBlobs())
	v, err := img.V1()
	must(t, err)
	if err := validate.Image(v); err != nil {
		t.Fatalf("validate: %v", err)
	}
	got, _ := v.Digest()
	want, _ := f.want.Digest()
	if got != want {
		t.Fatalf("digest %s, want %s", got, want)
	}
	for i, d := range f.layerDigests {
		l, err := v.LayerByDigest(d)
		must(t, err)
		if diff, _ := l.DiffID(); diff != f.diffID[i] {
			t.Errorf("layer %d: diffID %s, want %s", i, diff, f.diffID[i])
		}
		if p := img.BlobPath(d); p != f.blobs[i] {
			t.Errorf("layer %d: blob path %s, want %s", i, p, f.blobs[i])
		}
	}
	mt, _ := v.MediaType()
	if mt != types.DockerManifestSchema2 { // random.Image's
		t.Errorf("media type %s", mt)
	}
}

// TestBlobsOpenedOnlyWhenRead: a blob file is opened only when a writer
// reads the layer's bytes, so describing an image reads no blob.
func TestBlobsOpenedOnlyWhenRead(t *testing.T) {
	f := newFixture(t, 1)
	img, err := load(f.manifest, f.config, f.descriptors, f.blobs)
	must(t, err)
	must(t, os.Remove(f.blobs[0]))
	v, err := img.V1()
	must(t, err)
	if _, err := v.Digest(); err != nil {
		t.Fatalf("the digest needed a blob: %v", err)
	}
	if _, err := v.ConfigFile(); err != nil {
		t.Fatalf("the config needed a blob: %v", err)
	}
	l, err := v.LayerByDigest(f.layerDigests[0])
	must(t, err)
	if _, err := l.Compressed(); err == nil {
		t.Fatal("reading a deleted blob succeeded")
	}
}

// TestManifestWithoutMediaTypeIsOCI: a manifest with no mediaType field is
// taken as an OCI manifest.
func TestManifestWithoutMediaTypeIsOCI(t *testing.T) {
	f := newFixture(t, 1)
	raw, _ := os.ReadFile(f.manifest)
	raw = bytes.Replace(raw, []byte(`"mediaType":"application/vnd.docker.distribution.manifest.v2+json",`), nil, 1)
	must(t, os.WriteFile(f.manifest, raw, 0o644))
	img, err := load(f.manifest, f.config, f.descriptors, f.blobs)
	must(t, err)
	v, _ := img.V1()
	if mt, _ := v.MediaType(); mt != types.OCIManifestSchema1 {
		t.Fatalf("media type %q, want %s", mt, types.OCIManifestSchema1)
	}
	if !bytes.Equal(img.RawManifest(), raw) {
		t.Fatal("the raw manifest changed")
	}
}

// TestShallowLayer: a pulled layer without a local blob is allowed when its
// descriptor names its repository, and writers that need bytes are told how
// to get them.
func TestShallowLayerWithoutSource(t *testing.T) {
	f := newFixture(t, 2)
	d, err := spec.ReadDescriptor(f.descriptors[0])
	must(t, err)
	d.Source = "127.0.0.1:5000/team/base"
	must(t, spec.Write(f.descriptors[0], &d))
	f.blobs[0] = ""
	img, err := load(f.manifest, f.config, f.descriptors, f.blobs)
	must(t, err)
	if got := img.Source(f.layerDigests[0]); got != d.Source {
		t.Errorf("Source = %q, want %q", got, d.Source)
	}
	if got := img.Source(f.layerDigests[1]); got != "" {
		t.Errorf("a local layer has source %q", got)
	}
	err = img.RequireBlobs()
	if err == nil || !strings.Contains(err.Error(), "download_layers = True") || !strings.Contains(err.Error(), d.Source) {
		t.Fatalf("RequireBlobs: %v", err)
	}
}

func TestRefused(t *testing.T) {
	f := newFixture(t, 2)
	cases := map[string]func() error{
		"a layer with neither blob nor source": func() error {
			f := *f
			f.blobs = []string{"", f.blobs[1]}
			_, err := load(f.manifest, f.config, f.descriptors, f.blobs)
			return err
		},
		"a missing manifest": func() error {
			_, err := load(f.manifest+".missing", f.config, f.descriptors, f.blobs)
			return err
		},
		"a manifest that is not JSON": func() error {
			_, err := blobimage.New([]byte("{"), nil, nil)
			return err
		},
		"a descriptor that is not one": func() error {
			_, err := load(f.manifest, f.config, []string{f.manifest, f.descriptors[1]}, f.blobs)
			return err
		},
	}
	for name, fn := range cases {
		if err := fn(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
