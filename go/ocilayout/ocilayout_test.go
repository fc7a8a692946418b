package ocilayout_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/ocilayout"
	"github.com/strata-build/rules_strata/go/spec"
)

// onDisk writes img's layer blobs to files and loads it as strata's image
// action outputs it; shallow makes the first layer a pulled one without a
// local blob.
func onDisk(t *testing.T, img v1.Image, shallow bool) *blobimage.Image {
	t.Helper()
	dir := t.TempDir()
	raw, _ := img.RawManifest()
	cfg, _ := img.RawConfigFile()
	ls, _ := img.Layers()
	var descs []spec.Descriptor
	var blobs []string
	for i, l := range ls {
		d, _ := l.Digest()
		diff, _ := l.DiffID()
		size, _ := l.Size()
		mt, _ := l.MediaType()
		desc := spec.Descriptor{MediaType: mt, Digest: d, Size: size, DiffID: diff}
		if i == 0 && shallow {
			desc.Source = "127.0.0.1:5000/base"
			descs, blobs = append(descs, desc), append(blobs, "")
			continue
		}
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		p := filepath.Join(dir, fmt.Sprintf("l%d.blob", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		descs, blobs = append(descs, desc), append(blobs, p)
	}
	bi, err := blobimage.New(raw, cfg, pushLayers(descs, blobs))
	if err != nil {
		t.Fatal(err)
	}
	return bi
}

// TestWrite: go-containerregistry's layout reader finds the image by digest
// and validates every blob; index.json names it with the tag.
func TestWrite(t *testing.T) {
	want, _ := random.Image(1024, 2)
	dir := filepath.Join(t.TempDir(), "image.oci")
	if err := ocilayout.Write(dir, onDisk(t, want, false), "latest"); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := want.Digest()
	got, err := p.Image(digest)
	if err != nil {
		t.Fatalf("no image %s in the layout: %v", digest, err)
	}
	if err := validate.Image(got); err != nil {
		t.Fatalf("validate: %v", err)
	}
	ii, _ := p.ImageIndex()
	m, _ := ii.IndexManifest()
	if len(m.Manifests) != 1 || m.Manifests[0].Digest != digest || m.Manifests[0].Annotations[ocilayout.RefNameAnnotation] != "latest" {
		t.Fatalf("index.json: %+v", m.Manifests)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "oci-layout")); err != nil || !strings.Contains(string(b), `"imageLayoutVersion"`) {
		t.Fatalf("oci-layout: %q %v", b, err)
	}
}

func TestWriteWithoutTagHasNoRefName(t *testing.T) {
	img, _ := random.Image(256, 1)
	dir := filepath.Join(t.TempDir(), "image.oci")
	if err := ocilayout.Write(dir, onDisk(t, img, false), ""); err != nil {
		t.Fatal(err)
	}
	p, _ := layout.FromPath(dir)
	ii, _ := p.ImageIndex()
	m, _ := ii.IndexManifest()
	if len(m.Manifests) != 1 || len(m.Manifests[0].Annotations) != 0 {
		t.Fatalf("index.json: %+v", m.Manifests)
	}
}

// TestShallowBaseRefused: a layout needs every blob; a base layer that was
// not downloaded is named with the fix, and nothing is written.
func TestShallowBaseRefused(t *testing.T) {
	img, _ := random.Image(256, 2)
	dir := filepath.Join(t.TempDir(), "image.oci")
	err := ocilayout.Write(dir, onDisk(t, img, true), "latest")
	if err == nil || !strings.Contains(err.Error(), "download_layers = True") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the layout directory was created: %v", err)
	}
}

// TestWriteIndex: every child of the index and its blobs are in the layout,
// and index.json points at the index with the tag.
func TestWriteIndex(t *testing.T) {
	want, err := random.Index(512, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "index.oci")
	if err := ocilayout.WriteIndex(dir, want, "v1"); err != nil {
		t.Fatal(err)
	}
	p, _ := layout.FromPath(dir)
	top, _ := p.ImageIndex()
	m, _ := top.IndexManifest()
	digest, _ := want.Digest()
	if len(m.Manifests) != 1 || m.Manifests[0].Digest != digest || m.Manifests[0].Annotations[ocilayout.RefNameAnnotation] != "v1" {
		t.Fatalf("index.json: %+v", m.Manifests)
	}
	got, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	child, err := got.ImageIndex(digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(child); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

// pushLayers pairs each descriptor with its blob path ("" for a layer left in
// its registry), as a push spec or an image files manifest does.
func pushLayers(descs []spec.Descriptor, blobs []string) []spec.PushLayer {
	out := make([]spec.PushLayer, len(descs))
	for i := range descs {
		out[i] = spec.PushLayer{Descriptor: descs[i], Blob: blobs[i]}
	}
	return out
}
