// Package blobimagetest writes a go-containerregistry image the way strata's
// actions leave one on disk (a blob file per layer beside its descriptor) and
// loads it back as a blobimage.Image, for the tests of the packages that
// read images on disk (dockerarchive, ocilayout). Test code only.
package blobimagetest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/spec"
)

// Source is the repository a shallow layer names: it has no local blob, as a
// layer of a shallowly pulled base.
const Source = "127.0.0.1:5000/base"

// OnDisk writes img's layer blobs to files in a temporary directory and loads
// the image from them. With shallow, the first layer gets no blob and names
// Source instead.
func OnDisk(t testing.TB, img v1.Image, shallow bool) *blobimage.Image {
	t.Helper()
	dir := t.TempDir()
	raw, err := img.RawManifest()
	must(t, err)
	cfg, err := img.RawConfigFile()
	must(t, err)
	ls, err := img.Layers()
	must(t, err)
	var layers []spec.PushLayer
	for i, l := range ls {
		d, _ := l.Digest()
		diff, _ := l.DiffID()
		size, _ := l.Size()
		mt, _ := l.MediaType()
		pl := spec.PushLayer{Descriptor: spec.Descriptor{MediaType: mt, Digest: d, Size: size, DiffID: diff}}
		if i == 0 && shallow {
			pl.Descriptor.Source = Source
		} else {
			rc, err := l.Compressed()
			must(t, err)
			b, err := io.ReadAll(rc)
			must(t, err)
			pl.Blob = filepath.Join(dir, fmt.Sprintf("l%d.blob", i))
			must(t, os.WriteFile(pl.Blob, b, 0o644))
		}
		layers = append(layers, pl)
	}
	bi, err := blobimage.New(raw, cfg, layers)
	must(t, err)
	return bi
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
