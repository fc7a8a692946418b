package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/image"
	"github.com/strata-build/rules_strata/go/spec"
	"github.com/strata-build/rules_strata/go/usererr"
)

func errUsage(s string) error { return errors.New("usage: " + s) }

func runImage(args []string) error {
	fs := newFlags("image")
	spec := fs.String("spec", "", "image spec JSON written by the image rule")
	cfg := fs.String("config", "", "output: config JSON")
	manifest := fs.String("manifest", "", "output: manifest JSON")
	digest := fs.String("digest", "", "output: manifest digest (sha256:<hex>)")
	if err := parseFlags(fs, args, "spec", "config", "manifest", "digest"); err != nil {
		return err
	}
	s, err := image.ReadSpec(*spec)
	if err != nil {
		return err
	}
	res, err := image.Build(s)
	if err != nil {
		return err
	}
	for path, data := range map[string][]byte{*cfg: res.Config, *manifest: res.Manifest, *digest: []byte(res.Digest.String())} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// childFlag declares the index verbs' --image-files: one image files
// manifest per child image, in index order.
func childFlag(fs *flag.FlagSet) *repeated {
	var r repeated
	fs.Var(&r, "image-files", "image files manifest JSON of a child (repeat, in index order)")
	return &r
}

// readChildFiles reads every child's image files manifest.
func readChildFiles(paths []string) ([]spec.ImageFiles, error) {
	out := make([]spec.ImageFiles, len(paths))
	for i, p := range paths {
		var err error
		if out[i], err = spec.ReadImageFiles(p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readImageFilesTo reads the image files manifest (--image-files: the one
// input flag of every verb that reads an image on disk; it names a built
// image's manifest, config, digest and layers) for a writer of the required
// --out, checked after the manifest was read (a bad manifest is reported
// first, as it always was).
func readImageFilesTo(fs *flag.FlagSet, path string) (spec.ImageFiles, error) {
	files, err := spec.ReadImageFiles(path)
	if err != nil {
		return files, err
	}
	return files, required(fs, "out")
}

// loadImageTo reads --image-files and the image it names, for a writer of
// the required --out.
func loadImageTo(fs *flag.FlagSet, path string) (*blobimage.Image, error) {
	files, err := readImageFilesTo(fs, path)
	if err != nil {
		return nil, err
	}
	return loadImage(files)
}

// loadImage reads the image an image files manifest names.
func loadImage(files spec.ImageFiles) (*blobimage.Image, error) {
	img, err := blobimage.Load(files)
	if err != nil {
		return nil, imageFileError(files.Target, files.Manifest, files.Config, err)
	}
	return img, nil
}

// imageFileError names the manifest and config a verb could not read: the
// parsers' own words ("manifest: EOF") say neither which file nor what to do.
func imageFileError(target, manifest, config string, err error) error {
	return usererr.New(target, "", fmt.Sprintf("cannot read the image from %s (manifest) and %s (config): %v", manifest, config, err),
		"these files are written by the image rule, or by image_pull for a base: rebuild the image target, or re-fetch the base with `bazel sync --only=NAME`; never edit them by hand")
}
