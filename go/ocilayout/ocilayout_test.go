package ocilayout_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/strata-build/rules_strata/go/blobimage/blobimagetest"
	"github.com/strata-build/rules_strata/go/ocilayout"
)

// write puts img (its blobs on disk; the base layer absent if shallow) in a
// fresh layout directory with tag and returns the directory.
func write(t *testing.T, img v1.Image, shallow bool, tag string) (string, error) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "image.oci")
	return dir, ocilayout.Write(dir, blobimagetest.OnDisk(t, img, shallow), tag)
}

// topLevel reads index.json of the layout in dir, through
// go-containerregistry's layout reader: the index and what it names.
func topLevel(t *testing.T, dir string) (v1.ImageIndex, []v1.Descriptor) {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	ii, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ii.IndexManifest()
	return ii, m.Manifests
}

// TestWrite: go-containerregistry's layout reader finds the image by digest
// and validates every blob; index.json names it with the tag.
func TestWrite(t *testing.T) {
	want, _ := random.Image(1024, 2)
	dir, err := write(t, want, false, "latest")
	if err != nil {
		t.Fatal(err)
	}
	top, m := topLevel(t, dir)
	digest, _ := want.Digest()
	got, err := top.Image(digest)
	if err != nil {
		t.Fatalf("no image %s in the layout: %v", digest, err)
	}
	if err := validate.Image(got); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if len(m) != 1 || m[0].Digest != digest || m[0].Annotations[ocilayout.RefNameAnnotation] != "latest" {
		t.Fatalf("index.json: %+v", m)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "oci-layout")); err != nil || !strings.Contains(string(b), `"imageLayoutVersion"`) {
		t.Fatalf("oci-layout: %q %v", b, err)
	}
}

func TestWriteWithoutTagHasNoRefName(t *testing.T) {
	img, _ := random.Image(256, 1)
	dir, err := write(t, img, false, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, m := topLevel(t, dir); len(m) != 1 || len(m[0].Annotations) != 0 {
		t.Fatalf("index.json: %+v", m)
	}
}

// TestShallowBaseRefused: a layout needs every blob; a base layer that was
// not downloaded is named with the fix, and nothing is written.
func TestShallowBaseRefused(t *testing.T) {
	img, _ := random.Image(256, 2)
	dir, err := write(t, img, true, "latest")
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
	top, m := topLevel(t, dir)
	digest, _ := want.Digest()
	if len(m) != 1 || m[0].Digest != digest || m[0].Annotations[ocilayout.RefNameAnnotation] != "v1" {
		t.Fatalf("index.json: %+v", m)
	}
	child, err := top.ImageIndex(digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(child); err != nil {
		t.Fatalf("validate: %v", err)
	}
}
