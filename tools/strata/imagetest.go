package main

import (
	"fmt"
	"os"

	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/imagetest"
	"github.com/strata-build/rules_strata/go/spec"
	"github.com/strata-build/rules_strata/go/usererr"
)

// runImageTest is the image_test target's test: exit 0 when every
// expectation holds, 1 with a report of every mismatch otherwise.
func runImageTest(args []string) error {
	fs := newFlags("image-test")
	specPath := fs.String("spec", "", "image test spec JSON written by image_test")
	in := fs.String("image-files", "", "image files manifest JSON (runfiles paths) written by image_test")
	if err := parseFlags(fs, args, "spec", "image-files"); err != nil {
		return err
	}
	files, err := spec.ReadImageFiles(*in)
	if err != nil {
		return err
	}
	s, err := imagetest.ReadSpec(*specPath)
	if err != nil {
		return err
	}
	img, err := blobimage.Load(files)
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
