package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/strata-build/rules_strata/go/sbom"
	"github.com/strata-build/rules_strata/go/usererr"
)

// runLayerListing lists the files of one layer blob for the SBOM
// (StrataLayerListing): run only when the sbom output group is requested.
func runLayerListing(args []string) error {
	fs := newFlags("layer-listing")
	blob := fs.String("blob", "", "layer blob (plain, gzip or zstd tar)")
	out := fs.String("out", "", "output: listing JSON")
	target := fs.String("target", "", "label of the image, for error messages")
	layer := fs.String("layer", "", "label of the layer (or base), for error messages")
	if err := parseFlags(fs, args, "blob", "out"); err != nil {
		return err
	}
	f, err := os.Open(*blob)
	if err != nil {
		return err
	}
	defer f.Close()
	// Candidate executables are spooled next to the output, inside the
	// action's own output tree, not to a shared /tmp.
	l, err := sbom.ListLayer(f, filepath.Dir(*out))
	if err != nil {
		return usererr.New(*target, *blob, fmt.Sprintf("cannot list the layer of %s for the SBOM: %v", *layer, err),
			"the blob is not a readable (gzip, zstd or plain) tar: rebuild the layer, or re-fetch a pulled base with `bazel sync --only=NAME`")
	}
	return sbom.WriteListing(*out, l)
}
