package main

import (
	"os"

	"github.com/strata-build/rules_strata/go/sbom"
)

// runSBOM writes the SPDX document of an image (StrataSBOM).
func runSBOM(args []string) error {
	fs := newFlags("sbom")
	spec := fs.String("spec", "", "sbom spec JSON written by the image rule")
	out := fs.String("out", "", "output: SPDX 2.3 JSON")
	if err := parseFlags(fs, args, "spec", "out"); err != nil {
		return err
	}
	s, err := sbom.ReadSpec(*spec)
	if err != nil {
		return err
	}
	img, err := sbom.Load(s)
	if err != nil {
		return err
	}
	doc, err := sbom.Document(img)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := sbom.Write(f, doc); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
