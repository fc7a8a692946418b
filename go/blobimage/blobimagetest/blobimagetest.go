// Package blobimagetest writes a go-containerregistry image the way strata's
// actions leave one on disk (manifest, config, and a descriptor and blob per
// layer, named by an image files manifest) and loads it back as a
// blobimage.Image, for the tests of the packages that read images on disk
// (blobimage, dockerarchive, ocilayout). Test code only.
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

// OnDisk writes img to files in a temporary directory (Files) and loads the
// image from them. With shallow, the first layer gets no blob and names
// Source instead.
func OnDisk(t testing.TB, img v1.Image, shallow bool) *blobimage.Image {
	t.Helper()
	source := ""
	if shallow {
		source = Source
	}
	bi, err := blobimage.Load(Files(t, img, source))
	must(t, err)
	return bi
}

// Files writes img the way the build leaves an image, in a temporary
// directory: manifest.json, config.json, digest (the manifest's), and per
// layer N a descriptor lN.json
// (labelled //test:layerN) and its blob lN.blob. With a source, the first
// layer has no blob and its descriptor names source and no label, as a layer
// of a shallowly pulled base. It returns the image files manifest of target
// //test:image.
func Files(t testing.TB, img v1.Image, source string) spec.ImageFiles {
	t.Helper()
	dir := t.TempDir()
	raw, err := img.RawManifest()
	must(t, err)
	cfg, err := img.RawConfigFile()
	must(t, err)
	digest, err := img.Digest()
	must(t, err)
	files := spec.ImageFiles{Target: "//test:image", Manifest: filepath.Join(dir, "manifest.json"), Config: filepath.Join(dir, "config.json"), Digest: filepath.Join(dir, "digest")}
	must(t, os.WriteFile(files.Manifest, raw, 0o644))
	must(t, os.WriteFile(files.Config, cfg, 0o644))
	must(t, os.WriteFile(files.Digest, []byte(digest.String()), 0o644))
	ls, err := img.Layers()
	must(t, err)
	for i, l := range ls {
		d, _ := l.Digest()
		diff, _ := l.DiffID()
		size, _ := l.Size()
		mt, _ := l.MediaType()
		desc := spec.Descriptor{MediaType: mt, Digest: d, Size: size, DiffID: diff, Label: fmt.Sprintf("//test:layer%d", i)}
		lf := spec.LayerFiles{Descriptor: filepath.Join(dir, fmt.Sprintf("l%d.json", i))}
		if i == 0 && source != "" {
			desc.Source, desc.Label = source, ""
		} else {
			rc, err := l.Compressed()
			must(t, err)
			b, err := io.ReadAll(rc)
			must(t, err)
			lf.Blob = filepath.Join(dir, fmt.Sprintf("l%d.blob", i))
			must(t, os.WriteFile(lf.Blob, b, 0o644))
		}
		must(t, spec.Write(lf.Descriptor, &desc))
		files.Layers = append(files.Layers, lf)
	}
	return files
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
