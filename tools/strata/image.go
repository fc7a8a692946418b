package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/image"
	"github.com/strata-build/rules_strata/go/usererr"
)

func errUsage(s string) error { return errors.New("usage: " + s) }

func runImage(args []string) error {
	fs := newFlags("image")
	spec := fs.String("spec", "", "image spec JSON written by the image rule")
	cfg := fs.String("config", "", "output: config JSON")
	manifest := fs.String("manifest", "", "output: manifest JSON")
	digest := fs.String("digest", "", "output: manifest digest (sha256:<hex>)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "spec", "config", "manifest", "digest"); err != nil {
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

// imageOnDisk are the flags that locate a built image: manifest, config and
// descriptor/blob pairs (the inputs of the layout and tarball writers).
type imageOnDisk struct {
	manifest, config, out, target *string
	descs, blobs                  repeated
}

func addImageFlags(fs *flag.FlagSet, outHelp string) *imageOnDisk {
	i := &imageOnDisk{
		manifest: fs.String("manifest", "", "image manifest JSON"),
		config:   fs.String("config", "", "image config JSON"),
		out:      fs.String("out", "", outHelp),
		target:   fs.String("target", "", "label of the image target, for error messages"),
	}
	fs.Var(&i.descs, "descriptor", "layer descriptor (repeat; pairs with --blob)")
	fs.Var(&i.blobs, "blob", "layer blob (repeat; pairs with --descriptor)")
	return i
}

func (i *imageOnDisk) load(fs *flag.FlagSet) (*blobimage.Image, error) {
	if err := required(fs, "manifest", "config", "out"); err != nil {
		return nil, err
	}
	img, err := blobimage.Load(*i.manifest, *i.config, i.descs, i.blobs)
	if err != nil {
		return nil, imageFileError(*i.target, *i.manifest, *i.config, err)
	}
	return img, nil
}

// imageFileError names the manifest and config a verb could not read: the
// parsers' own words ("manifest: EOF") say neither which file nor what to do.
func imageFileError(target, manifest, config string, err error) error {
	return usererr.New(target, "", fmt.Sprintf("cannot read the image from %s (manifest) and %s (config): %v", manifest, config, err),
		"these files are written by the image rule, or by image_pull for a base: rebuild the image target, or re-fetch the base with `bazel sync --only=NAME`; never edit them by hand")
}
