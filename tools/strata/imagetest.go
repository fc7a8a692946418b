package main

import (
	"fmt"
	"os"

	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/imagetest"
	"github.com/strata-build/rules_strata/go/usererr"
)

// runImageTest is the image_test target's test: exit 0 when every
// expectation holds, 1 with a report of every mismatch otherwise.
func runImageTest(args []string) error {
	fs := newFlags("image-test")
	spec := fs.String("spec", "", "image test spec JSON written by image_test")
	manifest := fs.String("manifest", "", "image manifest JSON")
	cfg := fs.String("config", "", "image config JSON")
	var descriptors, blobs repeated
	fs.Var(&descriptors, "descriptor", "layer descriptor (repeat, in manifest order)")
	fs.Var(&blobs, "blob", "layer blob, \"\" for a shallowly pulled layer (repeat; pairs with --descriptor)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "spec", "manifest", "config"); err != nil {
		return err
	}
	s, err := imagetest.ReadSpec(*spec)
	if err != nil {
		return err
	}
	img, err := blobimage.Load(*manifest, *cfg, descriptors, blobs)
	if err != nil {
		return err
	}
	if len(s.Files)+len(s.Absent) > 0 || s.MaxLayerUncompressedSize+s.MaxUncompressedSize > 0 {
		if err := img.RequireBlobs(); err != nil {
			return usererr.New(s.Target, "", "file checks and uncompressed budgets read every layer, and a base layer was pulled shallowly: "+err.Error(),
				"set download_layers = True on the base's image_pull, or check only config fields and compressed sizes")
		}
	}
	v, err := img.V1()
	if err != nil {
		return err
	}
	r, err := imagetest.Check(s, v)
	if err != nil {
		return usererr.New(s.Target, "", "cannot read the image: "+err.Error(), "rebuild the image; if it persists, report it to rules_strata")
	}
	r.Write(os.Stdout, s.Target)
	if r.Failed() {
		return exitError{code: 1, msg: fmt.Sprintf("%s failed (see above)", s.Target)}
	}
	return nil
}
